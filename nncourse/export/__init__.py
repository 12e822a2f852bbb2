"""`nncourse export`: final scores from the gradebook, in a file the LMS's import accepts."""
