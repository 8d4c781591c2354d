"""The `fs-conf` command line: `launch` is the entry point, `main` the parser, one module per
command group, `present` what the commands print.

This file imports nothing, so that `fs_conf.cli.launch` runs before gevent's monkey patching.
"""
