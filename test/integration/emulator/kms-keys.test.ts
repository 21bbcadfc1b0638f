/**
 * KMS keys as AWS makes them, with moto's key pairs made on first use (keyrot_moto/server_speed.py):
 * an asymmetric key signs, verifies and gives its public key; a symmetric key encrypts and decrypts.
 */
import { createPublicKey, verify } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GetPublicKeyCommand,
  KMSClient,
  SignCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { describe, expect, it } from 'vitest';
import { newAccountId, testClientConfig, withAccount } from '../../support/emulator-account.js';

const account = newAccountId();
const kms = withAccount(new KMSClient(testClientConfig(account)), account);
const message = new TextEncoder().encode('rotation report 2026-12-08');

describe('KMS keys', () => {
  it('an asymmetric key signs, verifies its signature, and its public key verifies it outside KMS', async () => {
    const { KeyMetadata } = await kms.send(
      new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'RSA_2048' }),
    );
    const KeyId = KeyMetadata!.KeyId!;
    const { Signature } = await kms.send(
      new SignCommand({ KeyId, Message: message, SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }),
    );
    const checked = await kms.send(
      new VerifyCommand({
        KeyId,
        Message: message,
        Signature,
        SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      }),
    );
    expect(checked.SignatureValid).toBe(true);
    const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId }));
    const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
    expect(verify('sha256', message, publicKey, Buffer.from(Signature!))).toBe(true);
  });

  it('two asymmetric keys have key pairs of their own', async () => {
    const keys = await Promise.all(
      [1, 2].map(() => kms.send(new CreateKeyCommand({ KeyUsage: 'SIGN_VERIFY', KeySpec: 'ECC_NIST_P256' }))),
    );
    const publicKeys = await Promise.all(
      keys.map((k) => kms.send(new GetPublicKeyCommand({ KeyId: k.KeyMetadata!.KeyId! }))),
    );
    expect(Buffer.from(publicKeys[0]!.PublicKey!).equals(Buffer.from(publicKeys[1]!.PublicKey!))).toBe(false);
  });

  it('a symmetric key encrypts and decrypts', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: KeyMetadata!.KeyId!, Plaintext: message }),
    );
    const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(Plaintext!).equals(Buffer.from(message))).toBe(true);
  });
});
