"""`python -m pmo_metrics.distribution send …` — the send command on its own, until the main
command line registers it (`add_send_command`)."""
import argparse
import sys

from .cli import add_send_command


def main(argv=None, prog: str = "python -m pmo_metrics.distribution") -> int:
    parser = argparse.ArgumentParser(prog=prog)
    add_send_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
