"""Speed machinery apart from the rules it speeds up: judging files in worker processes while
the caller records them. Imports only the stages before the warehouse."""
