"""Undeclared legacy pages for the guesser: hand-written texts, each language in the legacy
encodings its pages come in, at five sizes (a title alone up to 24 paragraphs).

legacy_pages_chromium.json holds what Chromium 156 (en-US, headless) showed for each page
served over HTTP as plain `text/html`: `document.characterSet` and `document.title`
(recorded with `python -m tests.html.chromium_recorder`).
"""

from __future__ import annotations

from dataclasses import dataclass

SIZES = {"title": 0, "line": 1, "para": 3, "page": 8, "long": 24}
# Punctuation an encoding lacks is written in ASCII instead.
_FALLBACKS = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u201e": '"', "\u201c": '"'}
_FALLBACKS |= {"\u00ab": '"', "\u00bb": '"'}

TEXTS: dict[str, tuple[str, list[str]]] = {
    "fr": (
        "Le café de l’été — « la terrasse » ouvre à midi",
        [
            "Ce matin, la boulangère a déjà vendu toutes ses brioches avant huit heures.",
            "Les élèves ont préparé une pièce de théâtre pour la fête de l’école.",
            "Il faut traverser le pont, puis tourner à gauche après l’église.",
            "Où avez-vous garé la voiture ? « Derrière la gare », répondit-il.",
            "Le marché du samedi attire des producteurs de toute la région.",
            "Nous espérons que la météo sera clémente pendant le week-end prolongé.",
            "Hélène préfère le thé vert ; son frère ne boit que du café très fort.",
            "La bibliothèque municipale reste fermée jusqu’au début du mois d’août.",
        ],
    ),
    "de": (
        "Größere Straßenbahnen für Köln – „schneller“ ans Ziel",
        [
            "Die Bäckerei an der Ecke öffnet schon um sechs Uhr früh.",
            "Im Frühling blühen die Äpfel im Garten meiner Großmutter.",
            "Könnten Sie mir bitte sagen, wo der nächste Bahnhof ist?",
            "Die Schüler müssen ihre Aufsätze bis Freitag abgeben.",
            "Über die Brücke führt ein schmaler Weg zum Fluss hinunter.",
            "Wir haben für nächste Woche einen Ausflug in die Berge geplant.",
            "Der Bürgermeister hält am Sonntag eine kurze Rede vor dem Rathaus.",
            "Nach dem Regen roch die Luft frisch und ein wenig süß.",
        ],
    ),
    "es": (
        "Año nuevo en la montaña: ¿dónde está el refugio?",
        [
            "El señor García camina cada mañana por la orilla del río.",
            "¿Cuántos niños participarán en la excursión del miércoles?",
            "La canción que sonaba en la radio me recordó mi niñez.",
            "Después de la lluvia, el jardín olía a tierra mojada.",
            "Mañana compraremos pan, aceite y un poco de jamón.",
            "La reunión empezará a las nueve en la sala número tres.",
            "Mi abuela guardaba las fotografías en una caja de cartón.",
            "El tren llegó con retraso porque había nieve en las vías.",
        ],
    ),
    "pl": (
        "Żółta łódź na jeziorze – ćwiczenia w środę",
        [
            "Wczoraj wieczorem poszliśmy do kina na nowy polski film.",
            "Moja siostra uczy się gry na skrzypcach od trzech lat.",
            "Proszę zamknąć okno, bo w pokoju robi się zimno.",
            "Na rynku sprzedają świeże jabłka, śliwki i gruszki.",
            "Pociąg do Krakowa odjeżdża z peronu drugiego o ósmej.",
            "Dzieci bawiły się w ogrodzie aż do zmroku.",
            "Ten książę mieszkał kiedyś w zamku nad rzeką.",
            "Każdego lata jeździmy nad morze do małej wioski rybackiej.",
        ],
    ),
    "cs": (
        "Příliš žluťoučký kůň úpěl ďábelské ódy",
        [
            "Včera večer jsme byli v divadle na nové hře.",
            "Můj bratr studuje medicínu na univerzitě v Brně.",
            "Prosím, zavřete dveře, v místnosti je průvan.",
            "Na trhu prodávají čerstvou zeleninu a ovoce.",
            "Vlak do Prahy odjíždí za dvacet minut z třetí koleje.",
            "Děti si hrály na zahradě až do setmění.",
            "Řeka se po dešti rozvodnila a zaplavila louky.",
            "Každé léto jezdíme k babičce na venkov.",
        ],
    ),
    "hu": (
        "Árvíztűrő tükörfúrógép – őszi kiállítás",
        [
            "Tegnap este a barátaimmal vacsoráztunk egy kis étteremben.",
            "A gyerekek az udvaron fociztak egészen sötétedésig.",
            "Kérem, zárja be az ablakot, mert hideg van.",
            "A piacon friss gyümölcsöt és zöldséget árulnak.",
            "A vonat Budapestre húsz perc múlva indul.",
            "Nagymamám minden vasárnap süteményt süt nekünk.",
            "A folyó partján hosszú sétát tettünk ősszel.",
            "Ez a könyv a magyar történelemről szól.",
        ],
    ),
    "ru": (
        "Новости дня: погода и события в городе",
        [
            "Вчера вечером мы ходили в театр на новую постановку.",
            "Моя сестра учится играть на скрипке уже три года.",
            "Пожалуйста, закройте окно, в комнате становится холодно.",
            "На рынке продают свежие яблоки, сливы и груши.",
            "Поезд в Москву отправляется со второй платформы в восемь часов.",
            "Дети играли во дворе до самой темноты.",
            "Этот старый дом стоит на берегу широкой реки.",
            "Каждое лето мы ездим к бабушке в деревню.",
        ],
    ),
    "uk": (
        "Їжачок у гаї: осінні історії для дітей",
        [
            "Учора ввечері ми ходили до театру на нову виставу.",
            "Моя сестра вчиться грати на скрипці вже три роки.",
            "Будь ласка, зачиніть вікно, бо в кімнаті холодно.",
            "На ринку продають свіжі яблука, сливи та груші.",
            "Потяг до Києва відправляється з другої платформи о восьмій.",
            "Діти гралися на подвір'ї аж до темряви.",
            "Цей старий будинок стоїть на березі широкої річки.",
            "Щоліта ми їздимо до бабусі в село.",
        ],
    ),
    "bg": (
        "Новини от деня: времето и събитията в града",
        [
            "Вчера вечерта ходихме на театър на нова пиеса.",
            "Сестра ми се учи да свири на цигулка от три години.",
            "Моля, затворете прозореца, в стаята става студено.",
            "На пазара продават пресни ябълки, сливи и круши.",
            "Влакът за София тръгва от втори коловоз в осем часа.",
            "Децата играха на двора чак до тъмно.",
            "Тази стара къща стои на брега на широка река.",
            "Всяко лято ходим при баба на село.",
        ],
    ),
    "el": (
        "Ειδήσεις της ημέρας: ο καιρός στην Αθήνα",
        [
            "Χθες το βράδυ πήγαμε στο θέατρο για μια καινούργια παράσταση.",
            "Η αδελφή μου μαθαίνει βιολί εδώ και τρία χρόνια.",
            "Παρακαλώ κλείστε το παράθυρο, κάνει κρύο στο δωμάτιο.",
            "Στη λαϊκή αγορά πουλάνε φρέσκα μήλα και αχλάδια.",
            "Το τρένο για τη Θεσσαλονίκη φεύγει στις οκτώ.",
            "Τα παιδιά έπαιζαν στην αυλή μέχρι να νυχτώσει.",
            "Αυτό το παλιό σπίτι βρίσκεται δίπλα στη θάλασσα.",
            "Κάθε καλοκαίρι πηγαίνουμε στο χωριό της γιαγιάς.",
        ],
    ),
    "tr": (
        "Günün haberleri: İstanbul’da hava güneşli",
        [
            "Dün akşam arkadaşlarımla küçük bir lokantada yemek yedik.",
            "Kız kardeşim üç yıldır keman çalmayı öğreniyor.",
            "Lütfen pencereyi kapatın, odada hava soğuk.",
            "Pazarda taze elma, erik ve armut satılıyor.",
            "Ankara treni sekizde ikinci perondan kalkıyor.",
            "Çocuklar hava kararana kadar bahçede oynadılar.",
            "Bu eski ev geniş bir nehrin kıyısında duruyor.",
            "Her yaz büyükannemin köyüne gidiyoruz.",
        ],
    ),
    "he": (
        "חדשות היום: מזג האוויר בעיר",
        [
            "אתמול בערב הלכנו לתיאטרון לראות הצגה חדשה.",
            "אחותי לומדת לנגן בכינור כבר שלוש שנים.",
            "בבקשה סגרו את החלון, קר בחדר.",
            "בשוק מוכרים תפוחים, שזיפים ואגסים טריים.",
            "הרכבת לחיפה יוצאת מהרציף השני בשמונה.",
            "הילדים שיחקו בחצר עד שהחשיך.",
            "הבית הישן הזה עומד על גדת נהר רחב.",
            "בכל קיץ אנחנו נוסעים לסבתא בכפר.",
        ],
    ),
    "ar": (
        "أخبار اليوم: الطقس في المدينة",
        [
            "ذهبنا أمس مساء إلى المسرح لمشاهدة مسرحية جديدة.",
            "أختي تتعلم العزف على الكمان منذ ثلاث سنوات.",
            "من فضلك أغلق النافذة، الغرفة باردة.",
            "في السوق يبيعون التفاح والخوخ والإجاص الطازج.",
            "يغادر القطار إلى الإسكندرية من الرصيف الثاني في الثامنة.",
            "لعب الأطفال في الساحة حتى حلول الظلام.",
            "هذا البيت القديم يقف على ضفة نهر واسع.",
            "نسافر كل صيف إلى قرية جدتي.",
        ],
    ),
    "ja": (
        "今日のニュース：東京の天気と出来事",
        [
            "昨日の夜、友達と新しい映画を見に行きました。",
            "妹は三年前からバイオリンを習っています。",
            "部屋が寒いので、窓を閉めてください。",
            "市場では新鮮なりんごや梨が売られています。",
            "大阪行きの電車は八時に二番線から出発します。",
            "子供たちは暗くなるまで庭で遊んでいました。",
            "この古い家は広い川のほとりに建っています。",
            "毎年夏になると、祖母の住む村へ出かけます。",
        ],
    ),
    "zh-cn": (
        "今日新闻：北京的天气和城市活动",
        [
            "昨天晚上我们去剧院看了一场新的话剧。",
            "我妹妹学习拉小提琴已经三年了。",
            "请把窗户关上，房间里很冷。",
            "市场上卖新鲜的苹果、李子和梨。",
            "去上海的火车八点从二号站台出发。",
            "孩子们在院子里一直玩到天黑。",
            "这座老房子坐落在一条宽阔的河边。",
            "每年夏天我们都去奶奶住的村子。",
        ],
    ),
    "zh-tw": (
        "今日新聞：臺北的天氣與城市活動",
        [
            "昨天晚上我們去劇院看了一場新的話劇。",
            "我妹妹學習拉小提琴已經三年了。",
            "請把窗戶關上，房間裡很冷。",
            "市場上賣新鮮的蘋果、李子和梨。",
            "往高雄的火車八點從二號月臺出發。",
            "孩子們在院子裡一直玩到天黑。",
            "這座老房子坐落在一條寬闊的河邊。",
            "每年夏天我們都去奶奶住的村子。",
        ],
    ),
    "ko": (
        "오늘의 뉴스: 서울의 날씨와 행사",
        [
            "어제 저녁에 우리는 새 연극을 보러 극장에 갔습니다.",
            "여동생은 삼 년째 바이올린을 배우고 있습니다.",
            "방이 추우니 창문을 닫아 주세요.",
            "시장에서는 신선한 사과와 배를 팝니다.",
            "부산행 기차는 여덟 시에 이번 승강장에서 출발합니다.",
            "아이들은 어두워질 때까지 마당에서 놀았습니다.",
            "이 오래된 집은 넓은 강가에 서 있습니다.",
            "매년 여름 우리는 할머니가 사시는 마을에 갑니다.",
        ],
    ),
    "th": (
        "ข่าววันนี้: สภาพอากาศในกรุงเทพ",
        [
            "เมื่อวานตอนเย็นเราไปดูละครเรื่องใหม่ที่โรงละคร",
            "น้องสาวของฉันเรียนไวโอลินมาสามปีแล้ว",
            "กรุณาปิดหน้าต่าง ห้องนี้หนาวมาก",
            "ที่ตลาดมีแอปเปิ้ลและลูกแพร์สดขาย",
            "รถไฟไปเชียงใหม่ออกเวลาแปดโมง",
            "เด็กๆ เล่นในสนามจนมืด",
            "บ้านเก่าหลังนี้ตั้งอยู่ริมแม่น้ำกว้าง",
            "ทุกฤดูร้อนเราไปเยี่ยมคุณยายที่หมู่บ้าน",
        ],
    ),
    "lt": (
        "Šiandienos naujienos: orai Vilniuje ir įvykiai",
        [
            "Vakar vakare ėjome į teatrą pažiūrėti naujo spektaklio.",
            "Mano sesuo jau trejus metus mokosi groti smuiku.",
            "Prašau uždaryti langą, kambaryje šalta.",
            "Turguje parduoda šviežius obuolius, slyvas ir kriaušes.",
            "Traukinys į Kauną išvyksta aštuntą valandą.",
            "Vaikai žaidė kieme iki sutemų.",
            "Šis senas namas stovi plačios upės krante.",
            "Kiekvieną vasarą važiuojame pas močiutę į kaimą.",
        ],
    ),
}
# language -> the legacy encodings (Python codec, WHATWG name) its pages come in
ENCODINGS: dict[str, list[tuple[str, str]]] = {
    "fr": [("cp1252", "windows-1252")],
    "de": [("cp1252", "windows-1252")],
    "es": [("cp1252", "windows-1252")],
    "pl": [("cp1250", "windows-1250"), ("iso8859_2", "iso-8859-2")],
    "cs": [("cp1250", "windows-1250"), ("iso8859_2", "iso-8859-2")],
    "hu": [("cp1250", "windows-1250"), ("iso8859_2", "iso-8859-2")],
    "ru": [
        ("cp1251", "windows-1251"),
        ("koi8_r", "koi8-r"),
        ("iso8859_5", "iso-8859-5"),
        ("cp866", "ibm866"),
    ],
    "uk": [("cp1251", "windows-1251"), ("koi8_u", "koi8-u")],
    "bg": [("cp1251", "windows-1251")],
    "el": [("cp1253", "windows-1253"), ("iso8859_7", "iso-8859-7")],
    "tr": [("cp1254", "windows-1254")],
    "he": [("cp1255", "windows-1255"), ("iso8859_8", "iso-8859-8")],
    "ar": [("cp1256", "windows-1256"), ("iso8859_6", "iso-8859-6")],
    "ja": [("cp932", "shift_jis"), ("euc_jp", "euc-jp")],
    "zh-cn": [("gbk", "gbk")],
    "zh-tw": [("big5", "big5")],
    "ko": [("cp949", "euc-kr")],
    "th": [("cp874", "windows-874")],
    "lt": [("cp1257", "windows-1257"), ("iso8859_13", "iso-8859-13")],
}


@dataclass(frozen=True)
class LegacyPage:
    id: str
    encoding: str  # the WHATWG name of the encoding it is written in
    body: bytes
    title: str  # the title as written


def legacy_pages() -> list[LegacyPage]:
    """Every language in each of its encodings, at every size."""
    pages = []
    for lang, encodings in ENCODINGS.items():
        title, sentences = TEXTS[lang]
        for codec, name in encodings:
            for size, count in SIZES.items():
                paragraphs = "".join(
                    f"<p>{sentences[i % len(sentences)]}</p>\n" for i in range(count)
                )
                html = (
                    f"<!DOCTYPE html>\n<html>\n<head>\n<title>{title}</title>\n</head>\n"
                    f"<body>\n{paragraphs}</body>\n</html>\n"
                )
                body = _encode(html, codec)
                written = body.decode(codec).split("<title>")[1].split("</title>")[0]
                pages.append(LegacyPage(f"{lang}-{name}-{size}", name, body, written))
    return pages


def _encode(text: str, codec: str) -> bytes:
    for char, fallback in _FALLBACKS.items():
        try:
            return text.encode(codec)
        except UnicodeEncodeError:
            text = text.replace(char, fallback)
    return text.encode(codec)
