"""The release gate (``xlfact compare``): a candidate run against a baseline, significance-tested per benchmark,
exit status 1 on a significant drop. Reads runs through :mod:`xlfact.core.runs`; scores with the registry."""
