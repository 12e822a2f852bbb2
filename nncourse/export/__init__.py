"""`nncourse export`: final scores from the gradebook in a file the LMS's gradebook import accepts."""
