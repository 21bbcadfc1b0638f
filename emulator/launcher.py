#!/usr/bin/env python3
"""moto server with keyrot's extension.

Registers, on moto's own backends, the API Gateway and Secrets Manager behaviour that keyrot
depends on and moto 5.2 lacks or gets wrong (see keyrot_moto/), then runs moto's server:

    python3 emulator/launcher.py -H 127.0.0.1 -p 5000
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keyrot_moto  # noqa: E402

keyrot_moto.install()

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    main(sys.argv[1:])
