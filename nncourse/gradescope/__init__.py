"""Scale-out to Gradescope: an autograder zip whose run_autograder uses this same engine."""
