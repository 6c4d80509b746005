"""MultiLoKo (Hupkes and Bogoychev 2025): locally sourced knowledge questions in 31 languages, with human and machine
translations to and from English; eval.py's metrics and the gap / mother-tongue / locality figures
(:mod:`xlfact.evaluators.multiloko`). Data from the user's decrypted folder or the gated hub dataset only."""
