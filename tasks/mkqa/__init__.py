"""MKQA (Longpre et al., TACL 2021): 10k parallel open-domain questions in 26 languages, closed-book generation
scored by MKQA's official EM / F1 (:mod:`xlfact.evaluators.mkqa`); data loading in :mod:`xlfact.tasks.mkqa.data`."""
