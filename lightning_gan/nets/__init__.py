"""Network families; constructors take plain numbers, never config objects."""
