"""Run the `fs-conf` command as `python -m fs_conf`."""

import sys

from fs_conf.cli.launch import main

sys.exit(main())
