"""Reading and writing files safely: atomic writes that honour the umask; JSON Lines whose errors name file and
line."""
