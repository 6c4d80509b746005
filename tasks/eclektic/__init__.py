"""ECLeKTic (Goldman et al. 2025): closed-book QA on facts from one language's Wikipedia, asked in 12 languages;
overall success and transfer score (:mod:`xlfact.evaluators.eclektic`). Also reads Global ECLeKTic's CSV columns."""
