import sys

from lightning_gan.cli import main

sys.exit(main())
