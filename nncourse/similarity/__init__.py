"""Which submissions look copied (``nncourse similarity``): copydetect on what students wrote."""
