"""`nncourse collect`: an LMS bulk download into ``submitted/<student>/<assignment>/``."""
