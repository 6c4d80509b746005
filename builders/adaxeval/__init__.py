"""AdaXEval (Zhao et al., arXiv 2510.12115): multiple-choice questions built from the bilingual corpus a model is
trained on, so that evaluation covers exactly the knowledge of the training data.

Four steps (:mod:`.pipeline`): fact detection by several voting judges, triple extraction, query crafting (a cloze
with ``[BLANK]`` for memorization, a paraphrased question for generalization, the answer and exactly three
distractors), and quality filtering (an in-language check and a cross-language answerability check). The LLM is
pluggable (:mod:`.llm`); every call is cached on disk (:mod:`.cache`); the output is a dataset folder in the schema of
:mod:`.schema` plus an lm-eval task folder written by :mod:`xlfact.builders.make_task`.
"""
