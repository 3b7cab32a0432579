"""`python -m service …` is the `portal` command (the service's background rebuild runs it)."""

from service.cli import cli

if __name__ == "__main__":
    cli(prog_name="portal")
