"""`nncourse collect`: an LMS bulk download into nbgrader's ``submitted/<student>/<assignment>/``."""
