"""Speed machinery apart from the rules it speeds up: the one way worker processes are started and
hand their answers back (`pool`, `answers`), and validating a batch ahead in them while the caller
records it (`ahead`). Imports only the stages before the warehouse."""
