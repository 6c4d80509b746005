# ruff: noqa: E501
# Source of corpus.jsonl and answer_key.jsonl (python facts.py); general facts written for xlfact's tests.
import json

# (pair, en subject, en relation, en object, [en distractors], en question, ja sentence, ja object, [ja distractors],
#  ja question, en filler, ja filler)
CAP = "The capital of {} is {}."
FACTS = [
    ("p01", "France", "has capital", "Paris", ["Berlin", "Madrid", "Rome"], "Which city is the capital of France?",
     "フランスの首都はパリである。", "パリ", ["ベルリン", "マドリード", "ローマ"], "フランスの首都はどの都市ですか？"),
    ("p02", "Germany", "has capital", "Berlin", ["Paris", "Vienna", "Madrid"], "Which city is the capital of Germany?",
     "ドイツの首都はベルリンである。", "ベルリン", ["パリ", "ウィーン", "マドリード"], "ドイツの首都はどの都市ですか？"),
    ("p03", "Spain", "has capital", "Madrid", ["Rome", "Lisbon", "Paris"], "Which city is the capital of Spain?",
     "スペインの首都はマドリードである。", "マドリード", ["ローマ", "リスボン", "パリ"], "スペインの首都はどの都市ですか？"),
    ("p04", "Italy", "has capital", "Rome", ["Vienna", "Berlin", "Lisbon"], "Which city is the capital of Italy?",
     "イタリアの首都はローマである。", "ローマ", ["ウィーン", "ベルリン", "リスボン"], "イタリアの首都はどの都市ですか？"),
    ("p05", "Portugal", "has capital", "Lisbon", ["Madrid", "Rome", "Vienna"], "Which city is the capital of Portugal?",
     "ポルトガルの首都はリスボンである。", "リスボン", ["マドリード", "ローマ", "ウィーン"], "ポルトガルの首都はどの都市ですか？"),
    ("p06", "Austria", "has capital", "Vienna", ["Berlin", "Paris", "Lisbon"], "Which city is the capital of Austria?",
     "オーストリアの首都はウィーンである。", "ウィーン", ["ベルリン", "パリ", "リスボン"], "オーストリアの首都はどの都市ですか？"),
]
OTHER = [
    ("p07", "Water", "boils at", "100 degrees", ["50 degrees", "200 degrees", "10 degrees"],
     "At what temperature does water boil at sea level?", "水は海面で100度で沸騰する。", "100度", ["50度", "200度", "10度"],
     "海面で水は何度で沸騰しますか？", "Water boils at {} at sea level."),
    ("p08", "A spider", "has", "eight legs", ["six legs", "ten legs", "four legs"], "How many legs does a spider have?",
     "クモには八本の脚がある。", "八本", ["六本", "十本", "四本"], "クモの脚は何本ですか？", "A spider has {}."),
    ("p09", "An insect", "has", "six legs", ["eight legs", "ten legs", "four legs"], "How many legs does an insect have?",
     "昆虫には六本の脚がある。", "六本", ["八本", "十本", "四本"], "昆虫の脚は何本ですか？", "An insect has {}."),
    ("p10", "Jupiter", "is", "the largest planet", ["the smallest planet", "the hottest planet", "the coldest planet"],
     "Which planet is the biggest in the solar system?", "木星は太陽系で最も大きい惑星である。", "最も大きい",
     ["最も小さい", "最も熱い", "最も冷たい"], "太陽系で一番大きな惑星はどれですか？", "Jupiter is {} in the solar system."),
    ("p11", "The Nile", "flows into", "the Mediterranean Sea", ["the Red Sea", "the Black Sea", "the Indian Ocean"],
     "Into which sea does the Nile flow?", "ナイル川は地中海に注ぐ。", "地中海", ["紅海", "黒海", "インド洋"],
     "ナイル川はどの海に注ぎますか？", "The Nile flows into {}."),
    ("p12", "Mount Fuji", "is", "the highest mountain in Japan", ["the highest mountain in Korea",
     "the oldest mountain in Japan", "the smallest mountain in Japan"], "What is Mount Fuji known as in Japan?",
     "富士山は日本で最も高い山である。", "日本で最も高い山", ["韓国で最も高い山", "日本で最も古い山", "日本で最も小さい山"],
     "富士山は日本で何として知られていますか？", "Mount Fuji is {}."),
]
FILLER_EN = "We visited it with friends last summer."
FILLER_JA = "私たちは去年の夏に友人と訪れた。"


def main():
    corpus, key = [], []
    rows = [(*f, CAP.format(f[1], "{}")) for f in FACTS] + list(OTHER)
    for pair, subj, rel, obj, dis, q, ja_sent, ja_obj, ja_dis, ja_q, template in rows:
        en_sent = template.format(obj)
        assert ja_obj in ja_sent and ja_sent.count(ja_obj) == 1
        corpus.append({"doc_id": f"{pair}-en", "lang": "en", "pair_id": pair, "text": f"{en_sent} {FILLER_EN}"})
        corpus.append({"doc_id": f"{pair}-ja", "lang": "ja", "pair_id": pair, "text": f"{ja_sent}{FILLER_JA}"})
        ja_subj = ja_sent.split("の")[0].split("は")[0].split("に")[0]
        key.append({"pair": pair, "en": {"sentence": en_sent, "subject": subj, "relation": rel, "object": obj,
                                         "cloze": en_sent.replace(obj, "[BLANK]", 1), "question": q,
                                         "distractors": dis},
                    "ja": {"sentence": ja_sent, "subject": ja_subj, "relation": "は", "object": ja_obj,
                           "cloze": ja_sent.replace(ja_obj, "[BLANK]", 1), "question": ja_q, "distractors": ja_dis}})
    with open("corpus.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in corpus)
    with open("answer_key.jsonl", "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in key)


if __name__ == "__main__":
    main()
