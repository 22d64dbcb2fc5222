"""The command line, `agency-return` (`main`): a thin shell over the stages; `web` and `flows` are
imported only inside the commands that need them."""
