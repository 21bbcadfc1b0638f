#!/usr/bin/env bash
# System packages the emulator needs beyond Node and Python: libfaketime, which gives moto and the
# Lambda containers it runs one simulated clock (emulator/keyrot_moto/clock.py). Debian's package;
# installed when missing and this user can (root), else a clear message.
set -euo pipefail
for lib in /usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 /usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1; do
  [ -e "$lib" ] && exit 0
done
[ -n "${KEYROT_FAKETIME_LIB:-}" ] && [ -e "$KEYROT_FAKETIME_LIB" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing libfaketime (Debian package) for the emulator's simulated clock" >&2
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libfaketime >/dev/null
  exit 0
fi
echo "the emulator's simulated clock needs libfaketime: sudo apt-get install libfaketime (or set KEYROT_FAKETIME_LIB)" >&2
exit 1
