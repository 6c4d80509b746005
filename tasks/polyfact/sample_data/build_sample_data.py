# ruff: noqa: E501  (the label tables are wide on purpose: one entity per line, one column per language)
"""Build the PolyFact-format sample shipped with xlfact: ``sample_data/<lang>/test.jsonl`` for the 12 PolyFact languages.

Why this exists: ``xlfact demo`` and the tests need real, true facts in all 12 PolyFact languages that can ship in the
package without the hub. The facts below were written by the xlfact authors (not copied from PolyFact); the Wikidata
ids in ``fact_id`` are the real ones, so every row can be checked against Wikidata.

Why a generator instead of hand-written JSON lines: the 12 files must stay parallel. Every language gets the same facts
in the same order, the four option *slots* name the same entity in every language (RankC compares option rankings slot
by slot) and the gold slot is the same everywhere. Keeping one table of entities with their labels per language, one
question template per relation and language, and one list of facts makes that true by construction; the test
``tests/test_polyfact_sample_data.py`` checks that the committed files are exactly what this script writes.

Output rows carry the hub's flat columns, in the hub's order: ``fact_id`` (``<subject QID>|<PID>|<object QID>``),
``language``, ``subject``, ``relation`` (English property label), ``object``, ``question``, ``option_a`` ..
``option_d``, ``answer_text`` and ``answer_index``. Facts are written round-robin over the relations, so a run with
``--limit N`` still sees every relation.

Run: ``python tasks/polyfact/sample_data/build_sample_data.py [--out DIR]`` (default: this folder).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xlfact.tasks.polyfact.spec import LANGUAGES as SPEC_LANGUAGES

HERE = Path(__file__).resolve().parent

# The 12 PolyFact language configs, in the order the files are written (alphabetical).
LANGUAGES = tuple(sorted(SPEC_LANGUAGES))
# Column order of the label tables below (Latin-script languages first, which keeps the tables readable).
TABLE_LANGUAGES = ("en", "de", "es", "fr", "pt", "id", "sw", "ru", "ar", "zh", "ja", "bn")
assert sorted(TABLE_LANGUAGES) == list(LANGUAGES), "the label tables need one column per PolyFact language"
HUB_COLUMNS = (
    "fact_id", "language", "subject", "relation", "object", "question",
    "option_a", "option_b", "option_c", "option_d", "answer_text", "answer_index",
)
NO_QID = "-"

# ---------------------------------------------------------------------------------------------------------------
# Entities: key | Wikidata id (only for subjects and gold objects; "-" for distractors) | one label per language in
# TABLE_LANGUAGES order. Labels follow the Wikipedia/Wikidata label of that language (Portuguese in its Brazilian
# spelling; Swahili keeps the original title of books that have no established Swahili one).
# ---------------------------------------------------------------------------------------------------------------

CONTINENTS = """
# key         | qid | en            | de          | es                | fr               | pt               | id             | sw                | ru               | ar               | zh   | ja       | bn
africa        | Q15 | Africa        | Afrika      | África            | Afrique          | África           | Afrika         | Afrika            | Африка           | أفريقيا          | 非洲 | アフリカ | আফ্রিকা
asia          | Q48 | Asia          | Asien       | Asia              | Asie             | Ásia             | Asia           | Asia              | Азия             | آسيا             | 亚洲 | アジア   | এশিয়া
europe        | Q46 | Europe        | Europa      | Europa            | Europe           | Europa           | Eropa          | Ulaya             | Европа           | أوروبا           | 欧洲 | ヨーロッパ | ইউরোপ
north_america | Q49 | North America | Nordamerika | América del Norte | Amérique du Nord | América do Norte | Amerika Utara  | Amerika Kaskazini | Северная Америка | أمريكا الشمالية  | 北美洲 | 北アメリカ | উত্তর আমেরিকা
south_america | Q18 | South America | Südamerika  | América del Sur   | Amérique du Sud  | América do Sul   | Amerika Selatan | Amerika Kusini   | Южная Америка    | أمريكا الجنوبية  | 南美洲 | 南アメリカ | দক্ষিণ আমেরিকা
"""

COUNTRIES = """
# key        | qid   | en           | de             | es             | fr              | pt             | id             | sw            | ru                          | ar             | zh       | ja             | bn
argentina    | Q414  | Argentina    | Argentinien    | Argentina      | Argentine       | Argentina      | Argentina      | Ajentina      | Аргентина                   | الأرجنتين      | 阿根廷   | アルゼンチン   | আর্জেন্টিনা
australia    | Q408  | Australia    | Australien     | Australia      | Australie       | Austrália      | Australia      | Australia     | Австралия                   | أستراليا       | 澳大利亚 | オーストラリア | অস্ট্রেলিয়া
austria      | Q40   | Austria      | Österreich     | Austria        | Autriche        | Áustria        | Austria        | Austria       | Австрия                     | النمسا         | 奥地利   | オーストリア   | অস্ট্রিয়া
bangladesh   | Q902  | Bangladesh   | Bangladesch    | Bangladés      | Bangladesh      | Bangladesh     | Bangladesh     | Bangladesh    | Бангладеш                   | بنغلاديش       | 孟加拉国 | バングラデシュ | বাংলাদেশ
brazil       | Q155  | Brazil       | Brasilien      | Brasil         | Brésil          | Brasil         | Brasil         | Brazil        | Бразилия                    | البرازيل       | 巴西     | ブラジル       | ব্রাজিল
china        | Q148  | China        | China          | China          | Chine           | China          | Tiongkok       | China         | Китай                       | الصين          | 中国     | 中国           | চীন
colombia     | Q739  | Colombia     | Kolumbien      | Colombia       | Colombie        | Colômbia       | Kolombia       | Kolombia      | Колумбия                    | كولومبيا       | 哥伦比亚 | コロンビア     | কলম্বিয়া
egypt        | Q79   | Egypt        | Ägypten        | Egipto         | Égypte          | Egito          | Mesir          | Misri         | Египет                      | مصر            | 埃及     | エジプト       | মিশর
ethiopia     | Q115  | Ethiopia     | Äthiopien      | Etiopía        | Éthiopie        | Etiópia        | Etiopia        | Ethiopia      | Эфиопия                     | إثيوبيا        | 埃塞俄比亚 | エチオピア   | ইথিওপিয়া
france       | Q142  | France       | Frankreich     | Francia        | France          | França         | Prancis        | Ufaransa      | Франция                     | فرنسا          | 法国     | フランス       | ফ্রান্স
germany      | Q183  | Germany      | Deutschland    | Alemania       | Allemagne       | Alemanha       | Jerman         | Ujerumani     | Германия                    | ألمانيا        | 德国     | ドイツ         | জার্মানি
ghana        | -     | Ghana        | Ghana          | Ghana          | Ghana           | Gana           | Ghana          | Ghana         | Гана                        | غانا           | 加纳     | ガーナ         | ঘানা
greece       | -     | Greece       | Griechenland   | Grecia         | Grèce           | Grécia         | Yunani         | Ugiriki       | Греция                      | اليونان        | 希腊     | ギリシャ       | গ্রিস
india        | Q668  | India        | Indien         | India          | Inde            | Índia          | India          | India         | Индия                       | الهند          | 印度     | インド         | ভারত
indonesia    | Q252  | Indonesia    | Indonesien     | Indonesia      | Indonésie       | Indonésia      | Indonesia      | Indonesia     | Индонезия                   | إندونيسيا      | 印度尼西亚 | インドネシア | ইন্দোনেশিয়া
iran         | -     | Iran         | Iran           | Irán           | Iran            | Irã            | Iran           | Iran          | Иран                        | إيران          | 伊朗     | イラン         | ইরান
italy        | -     | Italy        | Italien        | Italia         | Italie          | Itália         | Italia         | Italia        | Италия                      | إيطاليا        | 意大利   | イタリア       | ইতালি
japan        | Q17   | Japan        | Japan          | Japón          | Japon           | Japão          | Jepang         | Japani        | Япония                      | اليابان        | 日本     | 日本           | জাপান
kenya        | Q114  | Kenya        | Kenia          | Kenia          | Kenya           | Quênia         | Kenya          | Kenya         | Кения                       | كينيا          | 肯尼亚   | ケニア         | কেনিয়া
mexico       | Q96   | Mexico       | Mexiko         | México         | Mexique         | México         | Meksiko        | Mexiko        | Мексика                     | المكسيك        | 墨西哥   | メキシコ       | মেক্সিকো
mozambique   | -     | Mozambique   | Mosambik       | Mozambique     | Mozambique      | Moçambique     | Mozambik       | Msumbiji      | Мозамбик                    | موزمبيق        | 莫桑比克 | モザンビーク   | মোজাম্বিক
netherlands  | Q55   | Netherlands  | Niederlande    | Países Bajos   | Pays-Bas        | Países Baixos  | Belanda        | Uholanzi      | Нидерланды                  | هولندا         | 荷兰     | オランダ       | নেদারল্যান্ডস
nigeria      | Q1033 | Nigeria      | Nigeria        | Nigeria        | Nigeria         | Nigéria        | Nigeria        | Nigeria       | Нигерия                     | نيجيريا        | 尼日利亚 | ナイジェリア   | নাইজেরিয়া
pakistan     | -     | Pakistan     | Pakistan       | Pakistán       | Pakistan        | Paquistão      | Pakistan       | Pakistani     | Пакистан                    | باكستان        | 巴基斯坦 | パキスタン     | পাকিস্তান
peru         | Q419  | Peru         | Peru           | Perú           | Pérou           | Peru           | Peru           | Peru          | Перу                        | بيرو           | 秘鲁     | ペルー         | পেরু
portugal     | Q45   | Portugal     | Portugal       | Portugal       | Portugal        | Portugal       | Portugal       | Ureno         | Португалия                  | البرتغال       | 葡萄牙   | ポルトガル     | পর্তুগাল
russia       | Q159  | Russia       | Russland       | Rusia          | Russie          | Rússia         | Rusia          | Urusi         | Россия                      | روسيا          | 俄罗斯   | ロシア         | রাশিয়া
saudi_arabia | Q851  | Saudi Arabia | Saudi-Arabien  | Arabia Saudita | Arabie saoudite | Arábia Saudita | Arab Saudi     | Saudia        | Саудовская Аравия           | السعودية       | 沙特阿拉伯 | サウジアラビア | সৌদি আরব
south_africa | -     | South Africa | Südafrika      | Sudáfrica      | Afrique du Sud  | África do Sul  | Afrika Selatan | Afrika Kusini | Южно-Африканская Республика | جنوب أفريقيا   | 南非     | 南アフリカ共和国 | দক্ষিণ আফ্রিকা
south_korea  | Q884  | South Korea  | Südkorea       | Corea del Sur  | Corée du Sud    | Coreia do Sul  | Korea Selatan  | Korea Kusini  | Южная Корея                 | كوريا الجنوبية | 韩国     | 韓国           | দক্ষিণ কোরিয়া
spain        | Q29   | Spain        | Spanien        | España         | Espagne         | Espanha        | Spanyol        | Hispania      | Испания                     | إسبانيا        | 西班牙   | スペイン       | স্পেন
sri_lanka    | -     | Sri Lanka    | Sri Lanka      | Sri Lanka      | Sri Lanka       | Sri Lanka      | Sri Lanka      | Sri Lanka     | Шри-Ланка                   | سريلانكا       | 斯里兰卡 | スリランカ     | শ্রীলঙ্কা
switzerland  | Q39   | Switzerland  | Schweiz        | Suiza          | Suisse          | Suíça          | Swiss          | Uswisi        | Швейцария                   | سويسرا         | 瑞士     | スイス         | সুইজারল্যান্ড
tanzania     | Q924  | Tanzania     | Tansania       | Tanzania       | Tanzanie        | Tanzânia       | Tanzania       | Tanzania      | Танзания                    | تنزانيا        | 坦桑尼亚 | タンザニア     | তানজানিয়া
turkey       | Q43   | Turkey       | Türkei         | Turquía        | Turquie         | Turquia        | Turki          | Uturuki       | Турция                      | تركيا          | 土耳其   | トルコ         | তুরস্ক
uganda       | -     | Uganda       | Uganda         | Uganda         | Ouganda         | Uganda         | Uganda         | Uganda        | Уганда                      | أوغندا         | 乌干达   | ウガンダ       | উগান্ডা
vietnam      | -     | Vietnam      | Vietnam        | Vietnam        | Viêt Nam        | Vietnã         | Vietnam        | Vietnam       | Вьетнам                     | فيتنام         | 越南     | ベトナム       | ভিয়েতনাম
"""

# How a country is named inside a question where the language needs more than the bare label:
# en/de/es/fr/pt: the definite article the name takes ("-" for none; fr "l'" elides); ru/bn: the genitive form.
COUNTRY_GRAMMAR = """
# key        | en  | de  | es  | fr  | pt | ru gen            | bn gen
argentina    | -   | -   | -   | l'  | a  | Аргентины         | আর্জেন্টিনার
australia    | -   | -   | -   | l'  | a  | Австралии         | অস্ট্রেলিয়ার
austria      | -   | -   | -   | l'  | a  | Австрии           | অস্ট্রিয়ার
bangladesh   | -   | -   | -   | le  | -  | Бангладеш         | বাংলাদেশের
brazil       | -   | -   | -   | le  | o  | Бразилии          | ব্রাজিলের
colombia     | -   | -   | -   | la  | a  | Колумбии          | কলম্বিয়ার
egypt        | -   | -   | -   | l'  | o  | Египта            | মিশরের
ethiopia     | -   | -   | -   | l'  | a  | Эфиопии           | ইথিওপিয়ার
france       | -   | -   | -   | la  | a  | Франции           | ফ্রান্সের
germany      | -   | -   | -   | l'  | a  | Германии          | জার্মানির
india        | -   | -   | -   | l'  | a  | Индии             | ভারতের
indonesia    | -   | -   | -   | l'  | a  | Индонезии         | ইন্দোনেশিয়ার
japan        | -   | -   | -   | le  | o  | Японии            | জাপানের
kenya        | -   | -   | -   | le  | o  | Кении             | কেনিয়ার
mexico       | -   | -   | -   | le  | o  | Мексики           | মেক্সিকোর
netherlands  | the | die | los | les | os | Нидерландов       | নেদারল্যান্ডসের
nigeria      | -   | -   | -   | le  | a  | Нигерии           | নাইজেরিয়ার
peru         | -   | -   | -   | le  | o  | Перу              | পেরুর
portugal     | -   | -   | -   | le  | -  | Португалии        | পর্তুগালের
russia       | -   | -   | -   | la  | a  | России            | রাশিয়ার
saudi_arabia | -   | -   | -   | l'  | a  | Саудовской Аравии | সৌদি আরবের
south_korea  | -   | -   | -   | la  | a  | Южной Кореи       | দক্ষিণ কোরিয়ার
switzerland  | -   | die | -   | la  | a  | Швейцарии         | সুইজারল্যান্ডের
tanzania     | -   | -   | -   | la  | a  | Танзании          | তানজানিয়ার
turkey       | -   | die | -   | la  | a  | Турции            | তুরস্কের
"""

CITIES = """
# key           | qid    | en              | de              | es              | fr              | pt              | id              | sw              | ru             | ar             | zh         | ja         | bn
alexandria      | -      | Alexandria      | Alexandria      | Alejandría      | Alexandrie      | Alexandria      | Aleksandria     | Aleksandria     | Александрия    | الإسكندرية     | 亚历山大港 | アレクサンドリア | আলেকজান্দ্রিয়া
ankara          | Q3640  | Ankara          | Ankara          | Ankara          | Ankara          | Ancara          | Ankara          | Ankara          | Анкара         | أنقرة          | 安卡拉     | アンカラ   | আঙ্কারা
barcelona       | Q1492  | Barcelona       | Barcelona       | Barcelona       | Barcelone       | Barcelona       | Barcelona       | Barcelona       | Барселона      | برشلونة        | 巴塞罗那   | バルセロナ | বার্সেলোনা
basel           | -      | Basel           | Basel           | Basilea         | Bâle            | Basileia        | Basel           | Basel           | Базель         | بازل           | 巴塞尔     | バーゼル   | বাজেল
berlin          | Q64    | Berlin          | Berlin          | Berlín          | Berlin          | Berlim          | Berlin          | Berlin          | Берлин         | برلين          | 柏林       | ベルリン   | বার্লিন
bern            | Q70    | Bern            | Bern            | Berna           | Berne           | Berna           | Bern            | Bern            | Берн           | برن            | 伯尔尼     | ベルン     | বার্ন
bonn            | -      | Bonn            | Bonn            | Bonn            | Bonn            | Bona            | Bonn            | Bonn            | Бонн           | بون            | 波恩       | ボン       | বন
brasilia        | Q2844  | Brasília        | Brasília        | Brasilia        | Brasilia        | Brasília        | Brasília        | Brasilia        | Бразилиа       | برازيليا       | 巴西利亚   | ブラジリア | ব্রাসিলিয়া
buenos_aires    | -      | Buenos Aires    | Buenos Aires    | Buenos Aires    | Buenos Aires    | Buenos Aires    | Buenos Aires    | Buenos Aires    | Буэнос-Айрес   | بوينس آيرس     | 布宜诺斯艾利斯 | ブエノスアイレス | বুয়েনোস আইরেস
bursa           | -      | Bursa           | Bursa           | Bursa           | Bursa           | Bursa           | Bursa           | Bursa           | Бурса          | بورصة          | 布尔萨     | ブルサ     | বুরসা
cairo           | Q85    | Cairo           | Kairo           | El Cairo        | Le Caire        | Cairo           | Kairo           | Kairo           | Каир           | القاهرة        | 开罗       | カイロ     | কায়রো
canberra        | Q3114  | Canberra        | Canberra        | Canberra        | Canberra        | Camberra        | Canberra        | Canberra        | Канберра       | كانبرا         | 堪培拉     | キャンベラ | ক্যানবেরা
chittagong      | -      | Chittagong      | Chittagong      | Chittagong      | Chittagong      | Chittagong      | Chittagong      | Chittagong      | Читтагонг      | شيتاغونغ       | 吉大港     | チッタゴン | চট্টগ্রাম
dar_es_salaam   | Q1960  | Dar es Salaam   | Daressalam      | Dar es-Salam    | Dar es Salaam   | Dar es Salaam   | Dar es Salaam   | Dar es Salaam   | Дар-эс-Салам   | دار السلام     | 达累斯萨拉姆 | ダルエスサラーム | দার এস সালাম
dhaka           | Q1354  | Dhaka           | Dhaka           | Daca            | Dacca           | Daca            | Dhaka           | Dhaka           | Дакка          | دكا            | 达卡       | ダッカ     | ঢাকা
geneva          | -      | Geneva          | Genf            | Ginebra         | Genève          | Genebra         | Jenewa          | Geneva          | Женева         | جنيف           | 日内瓦     | ジュネーヴ | জেনেভা
giza            | -      | Giza            | Gizeh           | Guiza           | Gizeh           | Gizé            | Giza            | Giza            | Гиза           | الجيزة         | 吉萨       | ギーザ     | গিজা
hamburg         | -      | Hamburg         | Hamburg         | Hamburgo        | Hambourg        | Hamburgo        | Hamburg         | Hamburg         | Гамбург        | هامبورغ        | 汉堡       | ハンブルク | হামবুর্গ
istanbul        | Q406   | Istanbul        | Istanbul        | Estambul        | Istanbul        | Istambul        | Istanbul        | Istanbul        | Стамбул        | إسطنبول        | 伊斯坦布尔 | イスタンブール | ইস্তাম্বুল
izmir           | -      | Izmir           | İzmir           | Esmirna         | Izmir           | Esmirna         | Izmir           | Izmir           | Измир          | إزمير          | 伊兹密尔   | イズミル   | ইজমির
kampala         | -      | Kampala         | Kampala         | Kampala         | Kampala         | Kampala         | Kampala         | Kampala         | Кампала        | كمبالا         | 坎帕拉     | カンパラ   | কাম্পালা
khulna          | -      | Khulna          | Khulna          | Khulna          | Khulna          | Khulna          | Khulna          | Khulna          | Кхулна         | خولنا          | 库尔纳     | クルナ     | খুলনা
kolkata         | -      | Kolkata         | Kalkutta        | Calcuta         | Calcutta        | Calcutá         | Kolkata         | Kolkata         | Калькутта      | كولكاتا        | 加尔各答   | コルカタ   | কলকাতা
kyoto           | -      | Kyoto           | Kyōto           | Kioto           | Kyoto           | Quioto          | Kyoto           | Kyoto           | Киото          | كيوتو          | 京都       | 京都       | কিয়োতো
lagos           | Q8673  | Lagos           | Lagos           | Lagos           | Lagos           | Lagos           | Lagos           | Lagos           | Лагос          | لاغوس          | 拉各斯     | ラゴス     | লাগোস
luxor           | -      | Luxor           | Luxor           | Luxor           | Louxor          | Luxor           | Luxor           | Luxor           | Луксор         | الأقصر         | 卢克索     | ルクソール | লুক্সর
lyon            | -      | Lyon            | Lyon            | Lyon            | Lyon            | Lyon            | Lyon            | Lyon            | Лион           | ليون           | 里昂       | リヨン     | লিয়োঁ
marseille       | -      | Marseille       | Marseille       | Marsella        | Marseille       | Marselha        | Marseille       | Marseille       | Марсель        | مرسيليا        | 马赛       | マルセイユ | মার্সেই
melbourne       | -      | Melbourne       | Melbourne       | Melbourne       | Melbourne       | Melbourne       | Melbourne       | Melbourne       | Мельбурн       | ملبورن         | 墨尔本     | メルボルン | মেলবোর্ন
mombasa         | -      | Mombasa         | Mombasa         | Mombasa         | Mombasa         | Mombaça         | Mombasa         | Mombasa         | Момбаса        | مومباسا        | 蒙巴萨     | モンバサ   | মোম্বাসা
mumbai          | Q1156  | Mumbai          | Mumbai          | Bombay          | Bombay          | Mumbai          | Mumbai          | Mumbai          | Мумбаи         | مومباي         | 孟买       | ムンバイ   | মুম্বই
munich          | -      | Munich          | München         | Múnich          | Munich          | Munique         | München         | Munich          | Мюнхен         | ميونخ          | 慕尼黑     | ミュンヘン | মিউনিখ
nairobi         | Q3870  | Nairobi         | Nairobi         | Nairobi         | Nairobi         | Nairóbi         | Nairobi         | Nairobi         | Найроби        | نيروبي         | 内罗毕     | ナイロビ   | নাইরোবি
nice            | -      | Nice            | Nizza           | Niza            | Nice            | Nice            | Nice            | Nice            | Ницца          | نيس            | 尼斯       | ニース     | নিস
osaka           | Q35765 | Osaka           | Osaka           | Osaka           | Osaka           | Osaka           | Osaka           | Osaka           | Осака          | أوساكا         | 大阪       | 大阪       | ওসাকা
paris           | Q90    | Paris           | Paris           | París           | Paris           | Paris           | Paris           | Paris           | Париж          | باريس          | 巴黎       | パリ       | প্যারিস
perth           | -      | Perth           | Perth           | Perth           | Perth           | Perth           | Perth           | Perth           | Перт           | بيرث           | 珀斯       | パース     | পার্থ
rio_de_janeiro  | -      | Rio de Janeiro  | Rio de Janeiro  | Río de Janeiro  | Rio de Janeiro  | Rio de Janeiro  | Rio de Janeiro  | Rio de Janeiro  | Рио-де-Жанейро | ريو دي جانيرو  | 里约热内卢 | リオデジャネイロ | রিও ডি জেনেইরো
sao_paulo       | Q174   | São Paulo       | São Paulo       | São Paulo       | São Paulo       | São Paulo       | São Paulo       | São Paulo       | Сан-Паулу      | ساو باولو      | 圣保罗     | サンパウロ | সাও পাওলো
shanghai        | Q8686  | Shanghai        | Shanghai        | Shanghái        | Shanghai        | Xangai          | Shanghai        | Shanghai        | Шанхай         | شانغهاي        | 上海       | 上海       | সাংহাই
sydney          | -      | Sydney          | Sydney          | Sídney          | Sydney          | Sydney          | Sydney          | Sydney          | Сидней         | سيدني          | 悉尼       | シドニー   | সিডনি
tokyo           | Q1490  | Tokyo           | Tokio           | Tokio           | Tokyo           | Tóquio          | Tokyo           | Tokyo           | Токио          | طوكيو          | 东京       | 東京       | টোকিও
yokohama        | -      | Yokohama        | Yokohama        | Yokohama        | Yokohama        | Yokohama        | Yokohama        | Yokohama        | Иокогама       | يوكوهاما       | 横滨       | 横浜       | ইয়োকোহামা
zurich          | -      | Zurich          | Zürich          | Zúrich          | Zurich          | Zurique         | Zürich          | Zurich          | Цюрих          | زيورخ          | 苏黎世     | チューリッヒ | জুরিখ
"""

LANGUAGE_NAMES = """
# key        | qid    | en         | de             | es         | fr         | pt                 | id              | sw          | ru                   | ar                  | zh         | ja           | bn
amharic      | -      | Amharic    | Amharisch      | amárico    | amharique  | língua amárica     | bahasa Amhara   | Kiamhari    | амхарский язык       | اللغة الأمهرية      | 阿姆哈拉语 | アムハラ語   | আমহারীয় ভাষা
arabic       | Q13955 | Arabic     | Arabisch       | árabe      | arabe      | língua árabe       | bahasa Arab     | Kiarabu     | арабский язык        | اللغة العربية       | 阿拉伯语   | アラビア語   | আরবি ভাষা
bengali      | Q9610  | Bengali    | Bengalisch     | bengalí    | bengali    | língua bengali     | bahasa Bengali  | Kibengali   | бенгальский язык     | اللغة البنغالية     | 孟加拉语   | ベンガル語   | বাংলা ভাষা
czech        | -      | Czech      | Tschechisch    | checo      | tchèque    | língua tcheca      | bahasa Ceko     | Kicheki     | чешский язык         | اللغة التشيكية      | 捷克语     | チェコ語     | চেক ভাষা
danish       | -      | Danish     | Dänisch        | danés      | danois     | língua dinamarquesa | bahasa Denmark | Kideni      | датский язык         | اللغة الدنماركية    | 丹麦语     | デンマーク語 | ড্যানিশ ভাষা
dutch        | Q7411  | Dutch      | Niederländisch | neerlandés | néerlandais | língua neerlandesa | bahasa Belanda | Kiholanzi   | нидерландский язык   | اللغة الهولندية     | 荷兰语     | オランダ語   | ওলন্দাজ ভাষা
french       | -      | French     | Französisch    | francés    | français   | língua francesa    | bahasa Prancis  | Kifaransa   | французский язык     | اللغة الفرنسية      | 法语       | フランス語   | ফরাসি ভাষা
german       | Q188   | German     | Deutsch        | alemán     | allemand   | língua alemã       | bahasa Jerman   | Kijerumani  | немецкий язык        | اللغة الألمانية     | 德语       | ドイツ語     | জার্মান ভাষা
hausa        | -      | Hausa      | Hausa          | hausa      | haoussa    | língua hauçá       | bahasa Hausa    | Kihausa     | хауса                | لغة الهوسا          | 豪萨语     | ハウサ語     | হাউসা ভাষা
hindi        | -      | Hindi      | Hindi          | hindi      | hindi      | língua hindi       | bahasa Hindi    | Kihindi     | хинди                | اللغة الهندية       | 印地语     | ヒンディー語 | হিন্দি ভাষা
indonesian   | Q9240  | Indonesian | Indonesisch    | indonesio  | indonésien | língua indonésia   | bahasa Indonesia | Kiindonesia | индонезийский язык  | اللغة الإندونيسية   | 印度尼西亚语 | インドネシア語 | ইন্দোনেশীয় ভাষা
italian      | -      | Italian    | Italienisch    | italiano   | italien    | língua italiana    | bahasa Italia   | Kiitaliano  | итальянский язык     | اللغة الإيطالية     | 意大利语   | イタリア語   | ইতালীয় ভাষা
javanese     | -      | Javanese   | Javanisch      | javanés    | javanais   | língua javanesa    | bahasa Jawa     | Kijava      | яванский язык        | اللغة الجاوية       | 爪哇语     | ジャワ語     | জাভানীয় ভাষা
persian      | -      | Persian    | Persisch       | persa      | persan     | língua persa       | bahasa Persia   | Kiajemi     | персидский язык      | اللغة الفارسية      | 波斯语     | ペルシア語   | ফার্সি ভাষা
portuguese   | Q5146  | Portuguese | Portugiesisch  | portugués  | portugais  | língua portuguesa  | bahasa Portugis | Kireno      | португальский язык   | اللغة البرتغالية    | 葡萄牙语   | ポルトガル語 | পর্তুগিজ ভাষা
spanish      | Q1321  | Spanish    | Spanisch       | español    | espagnol   | língua espanhola   | bahasa Spanyol  | Kihispania  | испанский язык       | اللغة الإسبانية     | 西班牙语   | スペイン語   | স্পেনীয় ভাষা
swahili      | Q7838  | Swahili    | Swahili        | suajili    | swahili    | língua suaíli      | bahasa Swahili  | Kiswahili   | суахили              | اللغة السواحيلية    | 斯瓦希里语 | スワヒリ語   | সোয়াহিলি ভাষা
tagalog      | -      | Tagalog    | Tagalog        | tagalo     | tagalog    | língua tagalo      | bahasa Tagalog  | Kitagalogi  | тагальский язык      | اللغة التاغالوغية   | 他加禄语   | タガログ語   | তাগালোগ ভাষা
tamil        | -      | Tamil      | Tamil          | tamil      | tamoul     | língua tâmil       | bahasa Tamil    | Kitamil     | тамильский язык      | اللغة التاميلية     | 泰米尔语   | タミル語     | তামিল ভাষা
thai         | -      | Thai       | Thai           | tailandés  | thaï       | língua tailandesa  | bahasa Thai     | Kithai      | тайский язык         | اللغة التايلاندية   | 泰语       | タイ語       | থাই ভাষা
turkish      | -      | Turkish    | Türkisch       | turco      | turc       | língua turca       | bahasa Turki    | Kituruki    | турецкий язык        | اللغة التركية       | 土耳其语   | トルコ語     | তুর্কি ভাষা
urdu         | -      | Urdu       | Urdu           | urdu       | ourdou     | língua urdu        | bahasa Urdu     | Kiurdu      | урду                 | اللغة الأردية       | 乌尔都语   | ウルドゥー語 | উর্দু ভাষা
zulu         | -      | Zulu       | isiZulu        | zulú       | zoulou     | língua zulu        | bahasa Zulu     | Kizulu      | зулу                 | لغة الزولو          | 祖鲁语     | ズールー語   | জুলু ভাষা
"""

CURRENCIES = """
# key               | qid     | en                    | de                        | es                    | fr                     | pt                      | id                     | sw                      | ru                        | ar                 | zh           | ja                   | bn
argentine_peso      | -       | Argentine peso        | Argentinischer Peso       | peso argentino        | peso argentin          | peso argentino          | peso Argentina         | Peso ya Ajentina        | аргентинский песо         | بيزو أرجنتيني      | 阿根廷比索   | アルゼンチン・ペソ   | আর্জেন্টাইন পেসো
brazilian_real      | Q173117 | Brazilian real        | Brasilianischer Real      | real brasileño        | réal brésilien         | real brasileiro         | real Brasil            | Real ya Brazil          | бразильский реал          | ريال برازيلي       | 巴西雷亚尔   | レアル               | ব্রাজিলীয় রিয়াল
euro                | -       | euro                  | Euro                      | euro                  | euro                   | euro                    | euro                   | Yuro                    | евро                      | يورو               | 欧元         | ユーロ               | ইউরো
hryvnia             | -       | Ukrainian hryvnia     | Hrywnja                   | grivna                | hryvnia                | hryvnia                 | hryvnia Ukraina        | Hryvnia ya Ukraine      | украинская гривна         | هريفنيا أوكرانية   | 乌克兰格里夫纳 | フリヴニャ         | ইউক্রেনীয় হ্রিভনিয়া
indian_rupee        | Q80524  | Indian rupee          | Indische Rupie            | rupia india           | roupie indienne        | rupia indiana           | rupee India            | Rupia ya India          | индийская рупия           | روبية هندية        | 印度卢比     | インド・ルピー       | ভারতীয় রুপি
indonesian_rupiah   | Q41588  | Indonesian rupiah     | Indonesische Rupiah       | rupia indonesia       | roupie indonésienne    | rupia indonésia         | rupiah                 | Rupia ya Indonesia      | индонезийская рупия       | روبية إندونيسية    | 印尼盾       | インドネシア・ルピア | ইন্দোনেশীয় রুপিয়াহ
japanese_yen        | Q8146   | Japanese yen          | Yen                       | yen                   | yen                    | iene                    | yen Jepang             | Yen ya Japani           | японская иена             | ين ياباني          | 日元         | 日本円               | জাপানি ইয়েন
kenyan_shilling     | Q202882 | Kenyan shilling       | Kenia-Schilling           | chelín keniano        | shilling kényan        | xelim queniano          | shilling Kenya         | Shilingi ya Kenya       | кенийский шиллинг         | شلن كيني           | 肯尼亚先令   | ケニア・シリング     | কেনীয় শিলিং
malaysian_ringgit   | -       | Malaysian ringgit     | Ringgit                   | ringgit               | ringgit                | ringgit                 | ringgit Malaysia       | Ringgit ya Malaysia     | малайзийский ринггит      | رينغيت ماليزي      | 马来西亚令吉 | マレーシア・リンギット | মালয়েশীয় রিঙ্গিত
mexican_peso        | Q4730   | Mexican peso          | Mexikanischer Peso        | peso mexicano         | peso mexicain          | peso mexicano           | peso Meksiko           | Peso ya Mexiko          | мексиканский песо         | بيزو مكسيكي        | 墨西哥比索   | メキシコ・ペソ       | মেক্সিকান পেসো
nigerian_naira      | -       | Nigerian naira        | Naira                     | naira                 | naira                  | naira                   | naira Nigeria          | Naira ya Nigeria        | нигерийская найра         | نايرا نيجيرية      | 尼日利亚奈拉 | ナイラ               | নাইজেরীয় নাইরা
pakistani_rupee     | -       | Pakistani rupee       | Pakistanische Rupie       | rupia pakistaní       | roupie pakistanaise    | rupia paquistanesa      | rupee Pakistan         | Rupia ya Pakistani      | пакистанская рупия        | روبية باكستانية    | 巴基斯坦卢比 | パキスタン・ルピー   | পাকিস্তানি রুপি
pound_sterling      | -       | pound sterling        | Pfund Sterling            | libra esterlina       | livre sterling         | libra esterlina         | pound sterling         | Pauni ya Uingereza      | фунт стерлингов           | جنيه إسترليني      | 英镑         | スターリング・ポンド | পাউন্ড স্টার্লিং
renminbi            | -       | renminbi              | Renminbi                  | renminbi              | yuan                   | renminbi                | renminbi               | Renminbi                | китайский юань            | يوان صيني          | 人民币       | 人民元               | রেনমিনবি
russian_ruble       | Q41044  | Russian ruble         | Russischer Rubel          | rublo ruso            | rouble russe           | rublo russo             | rubel Rusia            | Rubli ya Urusi          | российский рубль          | روبل روسي          | 俄罗斯卢布   | ロシア・ルーブル     | রুশ রুবল
south_african_rand  | -       | South African rand    | Südafrikanischer Rand     | rand sudafricano      | rand sud-africain      | rand sul-africano       | rand Afrika Selatan    | Randi ya Afrika Kusini  | южноафриканский рэнд      | راند جنوب أفريقي   | 南非兰特     | ランド               | দক্ষিণ আফ্রিকান রান্ড
south_korean_won    | -       | South Korean won      | Südkoreanischer Won       | won surcoreano        | won sud-coréen         | won sul-coreano         | won Korea Selatan      | Won ya Korea Kusini     | южнокорейская вона        | وون كوري جنوبي     | 韩元         | 韓国ウォン           | দক্ষিণ কোরীয় ওন
swiss_franc         | Q25344  | Swiss franc           | Schweizer Franken         | franco suizo          | franc suisse           | franco suíço            | franc Swiss            | Faranga ya Uswisi       | швейцарский франк         | فرنك سويسري        | 瑞士法郎     | スイス・フラン       | সুইস ফ্রাঁ
tanzanian_shilling  | -       | Tanzanian shilling    | Tansania-Schilling        | chelín tanzano        | shilling tanzanien     | xelim tanzaniano        | shilling Tanzania      | Shilingi ya Tanzania    | танзанийский шиллинг      | شلن تنزاني         | 坦桑尼亚先令 | タンザニア・シリング | তানজানীয় শিলিং
thai_baht           | -       | Thai baht             | Baht                      | baht                  | baht                   | baht                    | baht Thailand          | Baht ya Thailand        | тайский бат               | بات تايلاندي       | 泰铢         | タイ・バーツ         | থাই বাত
us_dollar           | -       | United States dollar  | US-Dollar                 | dólar estadounidense  | dollar américain       | dólar dos Estados Unidos | dolar Amerika Serikat | Dola ya Marekani        | доллар США                | دولار أمريكي       | 美元         | アメリカ合衆国ドル   | মার্কিন ডলার
"""

WORKS = """
# key                 | qid     | en                                       | de                                   | es                                | fr                                  | pt                               | id                            | sw                                       | ru                                | ar                      | zh          | ja                       | bn
don_quixote           | Q480    | Don Quixote                              | Don Quijote                          | Don Quijote de la Mancha          | Don Quichotte                       | Dom Quixote                      | Don Quixote                   | Don Quixote                              | Дон Кихот                         | دون كيخوتي              | 堂吉诃德    | ドン・キホーテ           | ডন কিহোতে
hamlet                | Q41567  | Hamlet                                   | Hamlet                               | Hamlet                            | Hamlet                              | Hamlet                           | Hamlet                        | Hamlet                                   | Гамлет                            | هاملت                   | 哈姆雷特    | ハムレット               | হ্যামলেট
harry_potter_stone    | Q43361  | Harry Potter and the Philosopher's Stone | Harry Potter und der Stein der Weisen | Harry Potter y la piedra filosofal | Harry Potter à l'école des sorciers | Harry Potter e a Pedra Filosofal | Harry Potter dan Batu Bertuah | Harry Potter and the Philosopher's Stone | Гарри Поттер и философский камень | هاري بوتر وحجر الفيلسوف | 哈利·波特与魔法石 | ハリー・ポッターと賢者の石 | হ্যারি পটার অ্যান্ড দ্য ফিলোসফার্স স্টোন
les_miserables        | Q180736 | Les Misérables                           | Die Elenden                          | Los miserables                    | Les Misérables                      | Os Miseráveis                    | Les Misérables                | Les Misérables                           | Отверженные                       | البؤساء                 | 悲惨世界    | レ・ミゼラブル           | লা মিজারেবল
little_prince        | Q25338  | The Little Prince                        | Der kleine Prinz                     | El principito                     | Le Petit Prince                     | O Pequeno Príncipe               | Pangeran Cilik                | The Little Prince                        | Маленький принц                   | الأمير الصغير           | 小王子      | 星の王子さま             | দ্য লিটল প্রিন্স
one_hundred_years     | Q178869 | One Hundred Years of Solitude            | Hundert Jahre Einsamkeit             | Cien años de soledad              | Cent Ans de solitude                | Cem Anos de Solidão              | Seratus Tahun Kesunyian       | One Hundred Years of Solitude            | Сто лет одиночества               | مئة عام من العزلة       | 百年孤独    | 百年の孤独               | নিঃসঙ্গতার একশ বছর
pride_and_prejudice   | Q170583 | Pride and Prejudice                      | Stolz und Vorurteil                  | Orgullo y prejuicio               | Orgueil et Préjugés                 | Orgulho e Preconceito            | Pride and Prejudice           | Pride and Prejudice                      | Гордость и предубеждение          | كبرياء وتحامل           | 傲慢与偏见  | 高慢と偏見               | প্রাইড অ্যান্ড প্রেজুডিস
war_and_peace         | Q161531 | War and Peace                            | Krieg und Frieden                    | Guerra y paz                      | Guerre et Paix                      | Guerra e Paz                     | Perang dan Damai              | War and Peace                            | Война и мир                       | الحرب والسلام           | 战争与和平  | 戦争と平和               | যুদ্ধ ও শান্তি
"""

WRITERS = """
# key            | qid     | en                       | de                       | es                       | fr                       | pt                       | id                       | sw                       | ru                            | ar                       | zh                   | ja                           | bn
austen           | Q36322  | Jane Austen              | Jane Austen              | Jane Austen              | Jane Austen              | Jane Austen              | Jane Austen              | Jane Austen              | Джейн Остин                   | جين أوستن                | 简·奥斯汀            | ジェーン・オースティン       | জেন অস্টেন
borges           | -       | Jorge Luis Borges        | Jorge Luis Borges        | Jorge Luis Borges        | Jorge Luis Borges        | Jorge Luis Borges        | Jorge Luis Borges        | Jorge Luis Borges        | Хорхе Луис Борхес             | خورخي لويس بورخيس        | 豪尔赫·路易斯·博尔赫斯 | ホルヘ・ルイス・ボルヘス     | হোর্হে লুইস বোর্হেস
bronte           | -       | Charlotte Brontë         | Charlotte Brontë         | Charlotte Brontë         | Charlotte Brontë         | Charlotte Brontë         | Charlotte Brontë         | Charlotte Brontë         | Шарлотта Бронте               | شارلوت برونتي            | 夏洛蒂·勃朗特        | シャーロット・ブロンテ       | শার্লট ব্রন্টি
camus            | -       | Albert Camus             | Albert Camus             | Albert Camus             | Albert Camus             | Albert Camus             | Albert Camus             | Albert Camus             | Альбер Камю                   | ألبير كامو               | 阿尔贝·加缪          | アルベール・カミュ           | আলবেয়ার কামু
cervantes        | Q5682   | Miguel de Cervantes      | Miguel de Cervantes      | Miguel de Cervantes      | Miguel de Cervantes      | Miguel de Cervantes      | Miguel de Cervantes      | Miguel de Cervantes      | Мигель де Сервантес           | ميغيل دي ثيربانتس        | 米格尔·德·塞万提斯   | ミゲル・デ・セルバンテス     | মিগেল দে সের্ভান্তেস
chekhov          | -       | Anton Chekhov            | Anton Tschechow          | Antón Chéjov             | Anton Tchekhov           | Anton Tchekhov           | Anton Chekhov            | Anton Chekhov            | Антон Чехов                   | أنطون تشيخوف             | 安东·契诃夫          | アントン・チェーホフ         | আন্তন চেখভ
dahl             | -       | Roald Dahl               | Roald Dahl               | Roald Dahl               | Roald Dahl               | Roald Dahl               | Roald Dahl               | Roald Dahl               | Роальд Даль                   | رولد دال                 | 罗尔德·达尔          | ロアルド・ダール             | রোয়াল্ড ডাল
dante            | -       | Dante Alighieri          | Dante Alighieri          | Dante Alighieri          | Dante Alighieri          | Dante Alighieri          | Dante Alighieri          | Dante Alighieri          | Данте Алигьери                | دانتي أليغييري           | 但丁·阿利吉耶里      | ダンテ・アリギエーリ         | দান্তে আলিগিয়েরি
dickens          | -       | Charles Dickens          | Charles Dickens          | Charles Dickens          | Charles Dickens          | Charles Dickens          | Charles Dickens          | Charles Dickens          | Чарльз Диккенс                | تشارلز ديكنز             | 查尔斯·狄更斯        | チャールズ・ディケンズ       | চার্লস ডিকেন্স
dostoevsky       | -       | Fyodor Dostoevsky        | Fjodor Dostojewski       | Fiódor Dostoyevski       | Fiodor Dostoïevski       | Fiódor Dostoiévski       | Fyodor Dostoyevsky       | Fyodor Dostoevsky        | Фёдор Достоевский             | فيودور دوستويفسكي        | 费奥多尔·陀思妥耶夫斯基 | フョードル・ドストエフスキー | ফিওদর দস্তয়েভস্কি
dumas            | -       | Alexandre Dumas          | Alexandre Dumas          | Alejandro Dumas          | Alexandre Dumas          | Alexandre Dumas          | Alexandre Dumas          | Alexandre Dumas          | Александр Дюма                | ألكسندر دوما             | 大仲马               | アレクサンドル・デュマ       | আলেক্সান্দ্র দ্যুমা
garcia_marquez   | Q5878   | Gabriel García Márquez   | Gabriel García Márquez   | Gabriel García Márquez   | Gabriel García Márquez   | Gabriel García Márquez   | Gabriel García Márquez   | Gabriel García Márquez   | Габриэль Гарсиа Маркес        | غابرييل غارسيا ماركيز    | 加夫列尔·加西亚·马尔克斯 | ガブリエル・ガルシア＝マルケス | গাব্রিয়েল গার্সিয়া মার্কেস
hugo             | Q535    | Victor Hugo              | Victor Hugo              | Victor Hugo              | Victor Hugo              | Victor Hugo              | Victor Hugo              | Victor Hugo              | Виктор Гюго                   | فيكتور هوغو              | 维克多·雨果          | ヴィクトル・ユーゴー         | ভিক্টর হুগো
lorca            | -       | Federico García Lorca    | Federico García Lorca    | Federico García Lorca    | Federico García Lorca    | Federico García Lorca    | Federico García Lorca    | Federico García Lorca    | Федерико Гарсиа Лорка         | فيديريكو غارثيا لوركا    | 费德里科·加西亚·洛尔卡 | フェデリコ・ガルシーア・ロルカ | ফেদেরিকো গার্সিয়া লোরকা
marlowe          | -       | Christopher Marlowe      | Christopher Marlowe      | Christopher Marlowe      | Christopher Marlowe      | Christopher Marlowe      | Christopher Marlowe      | Christopher Marlowe      | Кристофер Марло               | كريستوفر مارلو           | 克里斯托弗·马洛      | クリストファー・マーロウ     | ক্রিস্টোফার মার্লো
neruda           | -       | Pablo Neruda             | Pablo Neruda             | Pablo Neruda             | Pablo Neruda             | Pablo Neruda             | Pablo Neruda             | Pablo Neruda             | Пабло Неруда                  | بابلو نيرودا             | 巴勃罗·聂鲁达        | パブロ・ネルーダ             | পাবলো নেরুদা
pushkin          | -       | Alexander Pushkin        | Alexander Puschkin       | Aleksandr Pushkin        | Alexandre Pouchkine      | Alexandre Pushkin        | Alexander Pushkin        | Alexander Pushkin        | Александр Пушкин              | ألكسندر بوشكين           | 亚历山大·普希金      | アレクサンドル・プーシキン   | আলেক্সান্দর পুশকিন
rowling          | Q34660  | J. K. Rowling            | J. K. Rowling            | J. K. Rowling            | J. K. Rowling            | J. K. Rowling            | J. K. Rowling            | J. K. Rowling            | Джоан Роулинг                 | جيه كيه رولينغ           | J·K·罗琳             | J・K・ローリング             | জে. কে. রোলিং
saint_exupery    | Q2908   | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Antoine de Saint-Exupéry | Антуан де Сент-Экзюпери       | أنطوان دو سانت إكزوبيري  | 安托万·德·圣埃克苏佩里 | アントワーヌ・ド・サン＝テグジュペリ | আঁতোয়ান দ্য সাঁত-একজুপেরি
shakespeare      | Q692    | William Shakespeare      | William Shakespeare      | William Shakespeare      | William Shakespeare      | William Shakespeare      | William Shakespeare      | William Shakespeare      | Уильям Шекспир                | ويليام شكسبير            | 威廉·莎士比亚        | ウィリアム・シェイクスピア   | উইলিয়াম শেকসপিয়র
tolkien          | -       | J. R. R. Tolkien         | J. R. R. Tolkien         | J. R. R. Tolkien         | J. R. R. Tolkien         | J. R. R. Tolkien         | J. R. R. Tolkien         | J. R. R. Tolkien         | Джон Рональд Руэл Толкин      | جيه. آر. آر. تولكين      | J·R·R·托尔金         | J・R・R・トールキン           | জে. আর. আর. টলকিন
tolstoy          | Q7243   | Leo Tolstoy              | Lew Tolstoi              | León Tolstói             | Léon Tolstoï             | Liev Tolstói             | Leo Tolstoy              | Leo Tolstoy              | Лев Толстой                   | ليو تولستوي              | 列夫·托尔斯泰        | レフ・トルストイ             | লেভ তলস্তয়
verne            | -       | Jules Verne              | Jules Verne              | Julio Verne              | Jules Verne              | Júlio Verne              | Jules Verne              | Jules Verne              | Жюль Верн                     | جول فيرن                 | 儒勒·凡尔纳          | ジュール・ヴェルヌ           | জুল ভার্ন
woolf            | -       | Virginia Woolf           | Virginia Woolf           | Virginia Woolf           | Virginia Woolf           | Virginia Woolf           | Virginia Woolf           | Virginia Woolf           | Вирджиния Вулф                | فرجينيا وولف             | 弗吉尼亚·伍尔夫      | ヴァージニア・ウルフ         | ভার্জিনিয়া উলফ
zola             | -       | Émile Zola               | Émile Zola               | Émile Zola               | Émile Zola               | Émile Zola               | Émile Zola               | Émile Zola               | Эмиль Золя                    | إميل زولا                | 埃米尔·左拉          | エミール・ゾラ               | এমিল জোলা
"""

# ---------------------------------------------------------------------------------------------------------------
# Relations: the English property label (the hub's ``relation`` column) and one question per language, in the plain
# style of PolyFact's questions. Placeholders: {label} the subject's label; {nom} the subject as a sentence subject
# (with its article where the language needs one); {gen} the subject as an "of"-complement (de "von X"/"der X", es
# "de X"/"de los X", fr "du X"/"de la X"/"de l'X", pt "do X"/"da X", ru and bn genitive). {nom}/{gen} exist only for
# countries listed in COUNTRY_GRAMMAR.
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Relation:
    pid: str
    label: str
    questions: dict[str, str]


RELATIONS = {
    "P36": Relation("P36", "capital", {
        "en": "What is the capital of {nom}?",
        "de": "Was ist die Hauptstadt {gen}?",
        "es": "¿Cuál es la capital {gen}?",
        "fr": "Quelle est la capitale {gen} ?",
        "pt": "Qual é a capital {gen}?",
        "id": "Apa ibu kota {label}?",
        "sw": "Mji mkuu wa {label} ni upi?",
        "ru": "Какой город является столицей {gen}?",
        "ar": "ما هي عاصمة {label}؟",
        "zh": "{label}的首都是哪座城市？",
        "ja": "{label}の首都はどこですか？",
        "bn": "{gen} রাজধানী কোন শহর?",
    }),
    "P30": Relation("P30", "continent", {
        "en": "On which continent is {nom} located?",
        "de": "Auf welchem Kontinent liegt {nom}?",
        "es": "¿En qué continente se encuentra {nom}?",
        "fr": "Sur quel continent se trouve {nom} ?",
        "pt": "Em que continente fica {nom}?",
        "id": "{label} terletak di benua apa?",
        "sw": "{label} iko katika bara gani?",
        "ru": "На каком континенте находится {label}?",
        "ar": "في أي قارة تقع {label}؟",
        "zh": "{label}位于哪个大洲？",
        "ja": "{label}はどの大陸にありますか？",
        "bn": "{label} কোন মহাদেশে অবস্থিত?",
    }),
    "P37": Relation("P37", "official language", {
        "en": "What is the official language of {nom}?",
        "de": "Was ist die Amtssprache {gen}?",
        "es": "¿Cuál es el idioma oficial {gen}?",
        "fr": "Quelle est la langue officielle {gen} ?",
        "pt": "Qual é a língua oficial {gen}?",
        "id": "Apa bahasa resmi {label}?",
        "sw": "Lugha rasmi ya {label} ni ipi?",
        "ru": "Какой язык является официальным языком {gen}?",
        "ar": "ما هي اللغة الرسمية في {label}؟",
        "zh": "{label}的官方语言是什么？",
        "ja": "{label}の公用語は何ですか？",
        "bn": "{gen} সরকারি ভাষা কোনটি?",
    }),
    "P38": Relation("P38", "currency", {
        "en": "What is the currency of {nom}?",
        "de": "Was ist die Währung {gen}?",
        "es": "¿Cuál es la moneda {gen}?",
        "fr": "Quelle est la monnaie {gen} ?",
        "pt": "Qual é a moeda {gen}?",
        "id": "Apa mata uang {label}?",
        "sw": "Sarafu ya {label} ni ipi?",
        "ru": "Какова официальная валюта {gen}?",
        "ar": "ما هي عملة {label}؟",
        "zh": "{label}的货币是什么？",
        "ja": "{label}の通貨は何ですか？",
        "bn": "{gen} মুদ্রার নাম কী?",
    }),
    "P17": Relation("P17", "country", {
        "en": "In which country is {label} located?",
        "de": "In welchem Land liegt {label}?",
        "es": "¿En qué país se encuentra {label}?",
        "fr": "Dans quel pays se trouve {label} ?",
        "pt": "Em que país fica {label}?",
        "id": "{label} terletak di negara mana?",
        "sw": "{label} iko katika nchi gani?",
        "ru": "В какой стране находится {label}?",
        "ar": "في أي دولة تقع {label}؟",
        "zh": "{label}位于哪个国家？",
        "ja": "{label}はどの国にありますか？",
        "bn": "{label} কোন দেশে অবস্থিত?",
    }),
    "P50": Relation("P50", "author", {
        "en": "Who is the author of {label}?",
        "de": "Wer hat „{label}“ geschrieben?",
        "es": "¿Quién escribió {label}?",
        "fr": "Qui a écrit {label} ?",
        "pt": "Quem escreveu {label}?",
        "id": "Siapa penulis {label}?",
        "sw": "Nani aliandika {label}?",
        "ru": "Кто является автором произведения «{label}»?",
        "ar": "من هو مؤلف {label}؟",
        "zh": "《{label}》的作者是谁？",
        "ja": "『{label}』の作者は誰ですか？",
        "bn": "“{label}” কে লিখেছেন?",
    }),
}

# ---------------------------------------------------------------------------------------------------------------
# Facts, grouped by relation: (subject, gold object, three distractors, gold slot 0-3). The distractors fill the
# other slots in the order given, so slot k names the same entity in every language. Distractors are entities of the
# same kind that are false for the subject (e.g. former capitals, neighbouring countries' currencies).
# ---------------------------------------------------------------------------------------------------------------

FACTS: dict[str, list[tuple[str, str, tuple[str, str, str], int]]] = {
    "P36": [
        ("france", "paris", ("lyon", "marseille", "nice"), 0),
        ("germany", "berlin", ("bonn", "munich", "hamburg"), 2),
        ("japan", "tokyo", ("osaka", "kyoto", "yokohama"), 1),
        ("brazil", "brasilia", ("rio_de_janeiro", "sao_paulo", "buenos_aires"), 3),
        ("australia", "canberra", ("sydney", "melbourne", "perth"), 2),
        ("bangladesh", "dhaka", ("chittagong", "khulna", "kolkata"), 0),
        ("egypt", "cairo", ("alexandria", "giza", "luxor"), 3),
        ("turkey", "ankara", ("istanbul", "izmir", "bursa"), 1),
        ("switzerland", "bern", ("zurich", "geneva", "basel"), 2),
        ("kenya", "nairobi", ("mombasa", "kampala", "dar_es_salaam"), 1),
    ],
    "P30": [
        ("india", "asia", ("africa", "europe", "south_america"), 1),
        ("nigeria", "africa", ("asia", "europe", "south_america"), 3),
        ("argentina", "south_america", ("north_america", "europe", "africa"), 0),
        ("mexico", "north_america", ("south_america", "europe", "asia"), 2),
        ("portugal", "europe", ("africa", "south_america", "north_america"), 3),
        ("south_korea", "asia", ("europe", "north_america", "africa"), 1),
        ("ethiopia", "africa", ("asia", "europe", "south_america"), 2),
        ("peru", "south_america", ("north_america", "africa", "asia"), 0),
    ],
    "P37": [
        ("brazil", "portuguese", ("spanish", "french", "italian"), 2),
        ("bangladesh", "bengali", ("hindi", "urdu", "tamil"), 0),
        ("tanzania", "swahili", ("amharic", "zulu", "hausa"), 3),
        ("indonesia", "indonesian", ("javanese", "tagalog", "thai"), 1),
        ("saudi_arabia", "arabic", ("persian", "turkish", "urdu"), 0),
        ("austria", "german", ("czech", "italian", "dutch"), 2),
        ("netherlands", "dutch", ("german", "danish", "french"), 1),
        ("colombia", "spanish", ("portuguese", "french", "italian"), 3),
    ],
    "P38": [
        ("japan", "japanese_yen", ("renminbi", "south_korean_won", "us_dollar"), 3),
        ("india", "indian_rupee", ("pakistani_rupee", "renminbi", "us_dollar"), 1),
        ("russia", "russian_ruble", ("hryvnia", "euro", "us_dollar"), 2),
        ("switzerland", "swiss_franc", ("euro", "pound_sterling", "japanese_yen"), 0),
        ("kenya", "kenyan_shilling", ("tanzanian_shilling", "south_african_rand", "nigerian_naira"), 1),
        ("indonesia", "indonesian_rupiah", ("malaysian_ringgit", "thai_baht", "indian_rupee"), 3),
        ("mexico", "mexican_peso", ("us_dollar", "brazilian_real", "argentine_peso"), 0),
        ("brazil", "brazilian_real", ("argentine_peso", "mexican_peso", "euro"), 2),
    ],
    "P17": [
        ("barcelona", "spain", ("italy", "portugal", "france"), 0),
        ("shanghai", "china", ("japan", "south_korea", "vietnam"), 3),
        ("istanbul", "turkey", ("greece", "egypt", "iran"), 1),
        ("lagos", "nigeria", ("ghana", "kenya", "south_africa"), 2),
        ("dar_es_salaam", "tanzania", ("kenya", "uganda", "mozambique"), 2),
        ("sao_paulo", "brazil", ("argentina", "portugal", "mexico"), 0),
        ("osaka", "japan", ("china", "south_korea", "vietnam"), 3),
        ("mumbai", "india", ("pakistan", "bangladesh", "sri_lanka"), 1),
    ],
    "P50": [
        ("hamlet", "shakespeare", ("marlowe", "dickens", "austen"), 1),
        ("war_and_peace", "tolstoy", ("dostoevsky", "chekhov", "pushkin"), 2),
        ("don_quixote", "cervantes", ("lorca", "borges", "dante"), 3),
        ("little_prince", "saint_exupery", ("verne", "camus", "hugo"), 0),
        ("one_hundred_years", "garcia_marquez", ("borges", "neruda", "cervantes"), 3),
        ("les_miserables", "hugo", ("dumas", "zola", "verne"), 1),
        ("pride_and_prejudice", "austen", ("bronte", "woolf", "dickens"), 0),
        ("harry_potter_stone", "rowling", ("tolkien", "dahl", "dickens"), 2),
    ],
}


@dataclass(frozen=True)
class Entity:
    key: str
    qid: str | None
    labels: dict[str, str]


def _cells(table: str, name: str, width: int) -> Iterator[list[str]]:
    """Rows of a ``|``-separated table (comment and blank lines skipped), each checked to have ``width`` cells."""
    for line_no, line in enumerate(table.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) != width or not all(cells):
            raise ValueError(f"{name} line {line_no}: expected {width} non-empty '|'-separated cells, got {cells}")
        # Stored NFC, as the hub's text is compared byte for byte: typed Bengali often holds the precomposed
        # য় / ড় / ঢ় (composition exclusions), which NFC spells as base letter + nukta.
        yield [unicodedata.normalize("NFC", cell) for cell in cells]


def _entities() -> dict[str, Entity]:
    entities: dict[str, Entity] = {}
    for name, table in (("CONTINENTS", CONTINENTS), ("COUNTRIES", COUNTRIES), ("CITIES", CITIES),
                        ("LANGUAGE_NAMES", LANGUAGE_NAMES), ("CURRENCIES", CURRENCIES), ("WORKS", WORKS),
                        ("WRITERS", WRITERS)):
        for key, qid, *labels in _cells(table, name, 2 + len(TABLE_LANGUAGES)):
            if key in entities:
                raise ValueError(f"{name}: entity key {key!r} is defined twice")
            if qid != NO_QID and not (qid.startswith("Q") and qid[1:].isdigit()):
                raise ValueError(f"{name} {key}: {qid!r} is not a Wikidata item id (Q<digits>) or '{NO_QID}'")
            entities[key] = Entity(key, None if qid == NO_QID else qid, dict(zip(TABLE_LANGUAGES, labels)))
    return entities


_FR_OF = {"la": "de la ", "le": "du ", "l'": "de l'", "les": "des "}
_PT_OF = {"a": "da ", "o": "do ", "as": "das ", "os": "dos "}
_ES_OF = {"el": "del ", "la": "de la ", "los": "de los ", "las": "de las "}


def _country_forms() -> dict[str, dict[str, dict[str, str]]]:
    """``{key: {lang: {"art": article} or {"gen": genitive}}}`` for the countries named inside questions."""
    grammar: dict[str, dict[str, dict[str, str]]] = {}
    for key, en, de, es, fr, pt, ru_gen, bn_gen in _cells(COUNTRY_GRAMMAR, "COUNTRY_GRAMMAR", 8):
        grammar[key] = {
            "en": {"art": en}, "de": {"art": de}, "es": {"art": es}, "fr": {"art": fr}, "pt": {"art": pt},
            "ru": {"gen": ru_gen}, "bn": {"gen": bn_gen},
        }
    return grammar


def _with_article(label: str, article: str) -> str:
    if article == NO_QID:
        return label
    return f"{article}{label}" if article.endswith("'") else f"{article} {label}"


def subject_forms(entity: Entity, lang: str, grammar: dict[str, dict[str, dict[str, str]]]) -> dict[str, str]:
    """The placeholders a question template may use for ``entity`` in ``lang`` (see RELATIONS)."""
    label = entity.labels[lang]
    forms = {"label": label}
    if entity.key not in grammar:
        return forms
    rule = grammar[entity.key].get(lang, {})
    art = rule.get("art", NO_QID)
    forms["nom"] = _with_article(label, art) if lang in ("en", "de", "es", "fr", "pt") else label
    if lang == "de":
        forms["gen"] = f"der {label}" if art == "die" else f"von {label}"
    elif lang == "es":
        forms["gen"] = _ES_OF[art] + label if art != NO_QID else f"de {label}"
    elif lang == "fr":
        forms["gen"] = _FR_OF[art] + label if art != NO_QID else f"de {label}"
    elif lang == "pt":
        forms["gen"] = _PT_OF[art] + label if art != NO_QID else f"de {label}"
    elif lang in ("ru", "bn"):
        forms["gen"] = rule["gen"]
    else:
        forms["gen"] = forms["nom"]
    return forms


def _interleaved() -> list[tuple[str, tuple[str, str, tuple[str, str, str], int]]]:
    """Facts round-robin over the relations (in RELATIONS order), so any prefix of the file mixes relations."""
    queues = {pid: list(FACTS[pid]) for pid in RELATIONS}
    order: list[tuple[str, tuple[str, str, tuple[str, str, str], int]]] = []
    while any(queues.values()):
        for pid in RELATIONS:
            if queues[pid]:
                order.append((pid, queues[pid].pop(0)))
    return order


def rows_by_language() -> dict[str, list[dict[str, object]]]:
    """All rows, per language, in file order; raises ValueError naming the fact when the tables disagree."""
    entities = _entities()
    grammar = _country_forms()
    unknown = sorted(set(grammar) - set(entities))
    if unknown:
        raise ValueError(f"COUNTRY_GRAMMAR names unknown entities {unknown}")
    out: dict[str, list[dict[str, object]]] = {lang: [] for lang in LANGUAGES}
    seen_ids: set[str] = set()
    for pid, (subject_key, gold_key, distractors, gold_slot) in _interleaved():
        relation = RELATIONS[pid]
        where = f"fact {pid} {subject_key} -> {gold_key}"
        missing = [k for k in (subject_key, gold_key, *distractors) if k not in entities]
        if missing:
            raise ValueError(f"{where}: unknown entity keys {missing}")
        subject, gold = entities[subject_key], entities[gold_key]
        if subject.qid is None or gold.qid is None:
            raise ValueError(f"{where}: subject and gold object need their Wikidata ids in the entity tables")
        if not 0 <= gold_slot <= 3:
            raise ValueError(f"{where}: gold slot {gold_slot} is out of range; expected 0-3")
        fact_id = f"{subject.qid}|{pid}|{gold.qid}"
        if fact_id in seen_ids:
            raise ValueError(f"{where}: fact_id {fact_id} is listed twice")
        seen_ids.add(fact_id)
        slots = list(distractors)
        slots.insert(gold_slot, gold_key)
        for lang in LANGUAGES:
            options = [entities[key].labels[lang] for key in slots]
            if len(set(options)) != 4:
                raise ValueError(f"{where} ({lang}): options {options} are not 4 distinct labels")
            try:
                question = relation.questions[lang].format(**subject_forms(subject, lang, grammar))
            except KeyError as err:
                raise ValueError(
                    f"{where} ({lang}): the {pid} question needs {err} for {subject_key!r}; add it to COUNTRY_GRAMMAR"
                ) from None
            row: dict[str, object] = {
                "fact_id": fact_id,
                "language": lang,
                "subject": subject.labels[lang],
                "relation": relation.label,
                "object": gold.labels[lang],
                "question": unicodedata.normalize("NFC", question),
                "option_a": options[0],
                "option_b": options[1],
                "option_c": options[2],
                "option_d": options[3],
                "answer_text": gold.labels[lang],
                "answer_index": gold_slot,
            }
            assert tuple(row) == HUB_COLUMNS
            out[lang].append(row)
    return out


def render(rows: list[dict[str, object]]) -> str:
    """One language file: JSON lines, UTF-8 text kept as is (``ensure_ascii=False``), trailing newline."""
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, staging = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(staging, path)
    except BaseException:
        Path(staging).unlink(missing_ok=True)
        raise


def build(out_dir: Path = HERE) -> list[Path]:
    """Write ``out_dir/<lang>/test.jsonl`` for every language; return the paths written."""
    written = []
    for lang, rows in rows_by_language().items():
        path = Path(out_dir) / lang / "test.jsonl"
        _write_atomically(path, render(rows))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=HERE, help="folder to write <lang>/test.jsonl into (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    paths = build(args.out)
    facts = sum(len(facts) for facts in FACTS.values())
    print(f"wrote {len(paths)} files x {facts} facts under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
