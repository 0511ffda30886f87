//! Word lists, in the five languages, behind the cues. Matching is on normalised tokens (lower
//! case, accents folded: entries are written without accents, `recomiend*`, `fur`), by prefix
//! where a list entry ends in `*` (so `vot*` covers vote, voted, votez, votar).

/// The writer, or what is the writer's: the object of a begging ask.
pub const SELF: &[&str] = &[
    "me", "my", "mine", "myself", "us", "our", "ours", "i'm", "im", // en
    "mij", "mijn", "ons", "onze", "mezelf", // nl
    "moi", "mon", "ma", "mes", "notre", "nos", "m'", // fr
    "mi", "mi", "mis", "nuestro", "nuestra", "nuestros", "nuestras", "conmigo", // es
    "mich", "mir", "mein", "meine", "meinen", "meinem", "meiner", "unser", "unsere",
    "uns", // de
];

/// Giving a reputation signal.
pub const ASK_VERB: &[&str] = &[
    "endors*",
    "vot*",
    "upvot*",
    "like*",
    "nominat*",
    "recommend*",
    "rate",
    "rating*",
    "kudos",
    "+k",
    "+1",
    "vouch*",
    "support*",
    "follow*",
    "share*",
    "star*",
    "review*",
    "heart*",
    "stem",
    "stemm*",
    "stemt",
    "aanbevel*",
    "aanrad*",
    "volg*",
    "deel",
    "delen",
    "steun*",
    "aanbeveling*",
    "nomine*",
    "recommand*",
    "soutien*",
    "soutenez",
    "partag*",
    "abonn*",
    "recomiend*",
    "recomend*",
    "apoy*",
    "sigue*",
    "seguid*",
    "compart*",
    "dale",
    "dadme",
    "dame",
    "nomin*",
    "stimm*",
    "empfehl*",
    "unterstutz*",
    "folg*",
    "teil*",
    "bewert*",
    "gib",
    "gebt",
    "geef",
    "give",
    "donnez",
    "donne",
    "mettez",
    "mets",
    "pon",
    "ponme",
    "empfiehl*",
    "click*",
    "klick*",
    "cliqu*",
    "wishlist*",
    "boost*",
    "sign*",
    "back",
    "push*",
    "abzustimmen",
    "abstimm*",
    "stimme",
    "stimmen",
    "stemmen",
    "subscrib*",
    "smash",
    "swap*",
    "avis",
    "rezension*",
    "stern*",
    "sterren",
    "estrella*",
    "etoile*",
    "stars",
    "five-star",
    "dar",
    "geven",
    "donner",
    "geben",
    "mettre",
    "sigueme",
    "sigo",
    "volgen",
    "seguir",
    "nominacion*",
    "nominations",
    "nomination",
    "nominierung*",
    "ratings",
    "voten",
    "votar",
    "votos",
    "endorsements",
    "endorsemnts",
    "recomendaciones",
    "recommandations",
    "empfehlungen",
    "aanbevelingen",
    "rep",
    "+rep",
    "karma",
    "aimez",
    "megusta",
    "gusta",
    "upvotes",
];

/// Asking nicely.
pub const PLEASE: &[&str] = &[
    "please",
    "pls",
    "plz",
    "plse",
    "pleas",
    "kindly",
    "alsjeblieft",
    "alstublieft",
    "aub",
    "graag",
    "svp",
    "stp",
    "plait",
    "plait",
    "porfa",
    "porfavor",
    "favor",
    "bitte",
    "bitteee",
];

/// Asking a question of the reader: "would you", "could you", "anyone".
pub const MODAL: &[&str] = &[
    "would",
    "could",
    "can",
    "mind",
    "willing",
    "anyone",
    "zou",
    "wil",
    "kun",
    "kunnen",
    "iemand",
    "pourriez",
    "pourrais",
    "peux",
    "pouvez",
    "quelqu'un",
    "podrias",
    "podeis",
    "puedes",
    "alguien",
    "konntest",
    "konntet",
    "wurdest",
    "kannst",
    "jemand",
    "love",
    "appreciate",
    "mean",
    "welcome",
];

/// Trading: "I'll return the favor", "+K for +K", "follow for follow".
pub const QUID: &[&str] = &[
    "return",
    "favor",
    "favour",
    "f4f",
    "l4l",
    "back",
    "terug",
    "wederdienst",
    "pareille",
    "retour",
    "rends",
    "devuelvo",
    "devolvere",
    "cambio",
    "zuruck",
    "revanchier*",
    "gegenseitig",
    "tausch*",
    "also",
    "too",
    "ook",
    "aussi",
    "tambien",
    "auch",
];

/// Negation and refusal.
pub const NEG: &[&str] = &[
    "not", "don't", "won't", "never", "no", "nobody", "refuse", "niet", "nooit", "geen", "pas",
    "jamais", "ne", "n'", "nunca", "ni", "nadie", "nicht", "nie", "kein", "keine", "niemals",
];

/// Talking about begging rather than begging: complaints, news, moderation.
pub const ABOUT_BEGGING: &[&str] = &[
    "begging",
    "beg",
    "beggars",
    "spam*",
    "tired",
    "sick",
    "annoying",
    "banned",
    "ban",
    "manipulation",
    "rings",
    "ring",
    "mods",
    "bedel*",
    "beu",
    "zat",
    "irritant",
    "mendi*",
    "penible",
    "lassant",
    "harto",
    "harta",
    "pesad*",
    "betteln",
    "bettel*",
    "nervig",
    "satt",
    "verboten",
    "literally",
    "unbelievable",
    "ridiculous",
    "lol",
];

/// Thanks after the fact.
pub const THANKS: &[&str] = &[
    "thanks", "thank", "thx", "merci", "bedankt", "dank", "dankje", "gracias", "danke",
];

/// Someone else: campaigning for a third party.
pub const OTHERS: &[&str] = &[
    "he", "she", "his", "her", "him", "they", "their", "them", "hij", "zij", "haar", "hem", "il",
    "elle", "son", "sa", "ses", "lui", "leur", "ella", "su", "sus", "sie", "sein", "seine", "ihr",
    "ihre", "ihn", "ihm", "deserves", "verdient", "merite", "merece",
];

/// Describing how a feature works.
pub const DESCRIBE: &[&str] = &[
    "counts",
    "count",
    "at",
    "most",
    "per",
    "each",
    "every",
    "resets",
    "reset",
    "button",
    "algorithm",
    "feature",
    "limit",
    "weighs",
    "telt",
    "maximaal",
    "compte",
    "maximum",
    "cuenta",
    "maximo",
    "zahlt",
    "hochstens",
    "pro",
    "can",
    "kan",
    "peut",
    "puede",
    "kann",
    "within",
    "binnen",
    "pendant",
    "durante",
    "innerhalb",
];

/// French past participles that read, once accents are folded, like an ask ("voté" is "vote",
/// "donné" is "donne"): given only after an auxiliary ("j'ai voté", "ils ont recommandé").
pub const GAVE_AFTER_AUX: &[&str] = &["vote", "donne", "recommande", "nomine", "like", "soutenu"];

/// The auxiliaries before [`GAVE_AFTER_AUX`].
pub const FR_AUX: &[&str] = &[
    "ai", "j'ai", "as", "avons", "avez", "ont", "t'ai", "l'ai", "deja", "aussi",
];

/// Reporting one's own giving, in the past.
pub const GAVE: &[&str] = &[
    "gave",
    "endorsed",
    "vouched",
    "voted",
    "nominated",
    "recommended",
    "liked",
    "upvoted",
    "gegeven",
    "gestemd",
    "aanbevolen",
    "di",
    "recomende",
    "gegeben",
    "gestimmt",
    "abgestimmt",
    "vouched",
    "supported",
    "nominated",
    "votaron",
    "votado",
    "votasteis",
    "gestemd",
    "gevoted",
    "avez",
    "ont",
    "empfohlen",
    "nominiert",
    "just",
    "yesterday",
    "gisteren",
    "hier",
    "ayer",
    "gestern",
];

/// Addressing the reader: requests are made to someone.
pub const YOU: &[&str] = &[
    "you",
    "u",
    "ya",
    "guys",
    "y'all",
    "everyone",
    "friends",
    "je",
    "jij",
    "jullie",
    "je",
    "tu",
    "vous",
    "te",
    "t'",
    "toi",
    "ti",
    "usted",
    "ustedes",
    "vosotros",
    "os",
    "du",
    "dich",
    "dir",
    "ihr",
    "euch",
    "leute",
    "tous",
    "todos",
    "iedereen",
    "alle",
    "colleagues",
    "collegues",
    "companeros",
    "kollegen",
    "collega's",
];

/// Asking for help or for a push towards a goal.
pub const HELP: &[&str] = &[
    "help*",
    "helft",
    "hilf*",
    "ayud*",
    "ayud*",
    "aid*",
    "reach",
    "hit",
    "unlock",
    "more",
    "bereiken",
    "halen",
    "atteindre",
    "llegar",
    "erreichen",
    "knacken",
    "behind",
    "short",
    "honou*",
    "honor*",
    "honneur",
    "honoree",
    "honore",
    "honra",
    "ehre",
    "geehrt",
    "eer",
    "hint",
    "link",
    "bio",
    "lien",
    "enlace",
];

/// Contests and awards: what one's own entry is in.
pub const CONTEST: &[&str] = &[
    "contest*",
    "competition*",
    "award*",
    "poll*",
    "prize",
    "grant*",
    "wedstrijd*",
    "verkiezing*",
    "prijs",
    "subsidie",
    "concours",
    "prix",
    "subvention",
    "concurso*",
    "premio*",
    "ayuda",
    "wettbewerb*",
    "preis",
    "zuschuss",
    "abstimmung",
    "challenge",
    "cup",
    "badge",
    "level",
    "nominado",
    "nominada",
    "nominiert",
    "nomme",
    "nommee",
    "genomineerd",
    "running",
    "finalist*",
];

/// "Would be great", "very welcome": wishing for a signal without a verb.
pub const WISH: &[&str] = &[
    "great",
    "nice",
    "cool",
    "awesome",
    "welcome",
    "appreciated",
    "amazing",
    "top",
    "super",
    "genial",
    "genial",
    "geniaal",
    "leuk",
    "fijn",
    "welkom",
    "bienvenue",
    "bienvenido*",
    "toll",
    "klasse",
    "willkommen",
    "ware",
    "serait",
    "seria",
    "estaria",
    "zou",
    "would",
];

/// "Every vote counts".
pub const EVERY: &[&str] = &[
    "every", "each", "cada", "jede", "jeder", "chaque", "elke", "iedere", "toute",
];

/// Joins the two halves of a trade: "+K for +K", "follow for follow", "sigueme y te sigo".
pub const TRADE_JOIN: &[&str] = &[
    "for", "4", "voor", "pour", "por", "gegen", "fur", "and", "y", "en", "et", "und",
];

/// Telling what someone else said or sent: reported, not made.
pub const REPORTED: &[&str] = &[
    "wrote",
    "writes",
    "sent",
    "sends",
    "asked",
    "asks",
    "says",
    "said",
    "messages",
    "dms",
    "schreef",
    "schrijft",
    "stuurt",
    "vroeg",
    "zei",
    "berichtjes",
    "ecrit",
    "envoie",
    "dit",
    "messages",
    "escribio",
    "escribe",
    "manda",
    "pidio",
    "dice",
    "mensajes",
    "schrieb",
    "schreibt",
    "schickt",
    "fragte",
    "sagte",
    "nachrichten",
    "literally",
    "dmed",
    "dm'd",
    "messaged",
    "texted",
    "posted",
    "posting",
    "keeps",
    "escribio",
    "schrieb",
    "stuurt",
    "ecrit",
    "literalmente",
    "litteralement",
    "letterlijk",
    "wortlich",
    "qu'il",
    "disait",
];

/// Whether `token` matches an entry of `list` (entries ending in `*` match as prefixes).
pub fn contains(list: &[&str], token: &str) -> bool {
    list.iter().any(|entry| match entry.strip_suffix('*') {
        Some(prefix) => token.starts_with(prefix),
        None => *entry == token,
    })
}

/// The writer's family: asks for a child's or a brother's entry are asks for one's own.
pub const FAMILY: &[&str] = &[
    "daughter*",
    "son",
    "son's",
    "sons",
    "brother*",
    "sister*",
    "mom*",
    "mum*",
    "mother*",
    "dad*",
    "father*",
    "wife*",
    "husband*",
    "nephew*",
    "niece*",
    "uncle*",
    "aunt*",
    "kid",
    "kids",
    "kid's",
    "dochter*",
    "zoon*",
    "broer*",
    "zus",
    "zusje",
    "moeder*",
    "vader*",
    "neefje",
    "nichtje",
    "oom",
    "tante",
    "fille",
    "fils",
    "frere*",
    "soeur*",
    "soeur*",
    "mere",
    "pere",
    "neveu",
    "niece",
    "hija*",
    "hijo*",
    "hermano*",
    "hermana*",
    "madre",
    "padre",
    "mama",
    "papa",
    "sobrin*",
    "tio",
    "tia",
    "tochter",
    "sohn",
    "bruder*",
    "schwester*",
    "mutter*",
    "vater*",
    "neffe*",
    "nichte*",
    "onkel*",
];

/// "In advance": thanks for a vote not yet given.
pub const ADVANCE: &[&str] = &[
    "advance",
    "alvast",
    "d'avance",
    "avance",
    "antemano",
    "adelantado",
    "voraus",
    "vorab",
];

/// A count still to reach: "only 6 more", "me faltan 6", "noch 6 bis", "so close to".
pub const GOAL: &[&str] = &[
    "more",
    "away",
    "close",
    "left",
    "goal",
    "until",
    "reach",
    "nog",
    "doel",
    "halen",
    "faltan",
    "falta",
    "llegamos",
    "llegar",
    "meta",
    "hasta",
    "manque*",
    "jusqu'a",
    "objectif",
    "atteindre",
    "noch",
    "fehl*",
    "bis",
    "ziel",
    "schaffen",
    "erreichen",
];

/// Standing for election or a prize oneself.
pub const CANDIDATE: &[&str] = &[
    "kandidier*",
    "kandidat*",
    "candidat*",
    "candidate*",
    "kandidaat",
    "presento",
    "postulo",
    "verkiesbaar",
    "running",
];

/// Handing over a signal in the imperative: "drop a follow", "gebt mal Upvotes", "dale like".
pub const GIVE: &[&str] = &[
    "give", "gimme", "drop", "smash", "hit", "leave", "throw", "gebt", "gib", "lasst", "geef",
    "geeft", "laat", "dale", "dame", "danos", "deja", "dejad", "dejadme", "donne", "donnez",
    "laisse", "laissez", "mettez", "mets",
];

/// Asking for advice: "which podcasts would you recommend?", "¿alguien me recomienda…?".
pub const SEEK: &[&str] = &[
    "what",
    "which",
    "any",
    "anyone",
    "quel*",
    "quelqu'un",
    "welche*",
    "welk*",
    "iemand",
    "cual*",
    "alguien",
    "wer",
];

/// Hinting while denying it: "not saying…", "je dis ca je dis rien", "no digo na pero lo digo".
pub const COY: &[&str] = &[
    "saying", "hint", "hinting", "dis", "digo", "sag", "sage", "zeg", "zeggen", "hein", "eh",
    "but", "mais", "pero", "aber", "maar",
];

/// Short function words, for cutting spaced letters into words and reading leet.
const COMMON: &[&str] = &[
    "a", "an", "the", "to", "on", "in", "of", "for", "and", "or", "it", "is", "this", "that",
    "post", "pls", "plz", "up", "my", "me", "you", "your", "k", "one", "just", "now", "here",
    "all", "some", "get", "got", "have", "i", "we", "us", "by", "at", "with", "so", "if", "be",
    "do", "vote", "votes", "like", "likes", "follow", "share", "back", "mutual", "trade",
];

/// Whether `word` is a word plusk knows: an entry of any cue list (a `*` entry with up to three
/// more letters) or a common short word.
pub fn is_known_word(word: &str) -> bool {
    let lists: [&[&str]; 12] = [
        SELF, ASK_VERB, PLEASE, MODAL, QUID, NEG, THANKS, YOU, HELP, CONTEST, TRADE_JOIN, COMMON,
    ];
    lists.iter().any(|list| {
        list.iter().any(|entry| match entry.strip_suffix('*') {
            Some(stem) => word.starts_with(stem) && word.len() <= stem.len() + 3 && stem.len() >= 3,
            None => *entry == word,
        })
    })
}

/// Disclaimers that come with an ask and must not cancel it: "(not begging, just asking)".
/// ("not asking" is left out: "I'm not asking anyone for +K" is a refusal.)
pub const DISCLAIMER: &[(&str, &str)] = &[
    ("not", "begging"),
    ("no", "begging"),
    ("not", "beg"),
    ("just", "asking"),
    ("no", "pressure"),
    ("not", "spam"),
    ("sin", "presion"),
    ("no", "mendigo"),
    ("sans", "pression"),
    ("aucune", "pression"),
    ("ne", "mendie"),
    ("kein", "druck"),
    ("bettle", "nicht"),
    ("kein", "betteln"),
    ("geen", "druk"),
    ("bedel", "niet"),
    ("niet", "bedelen"),
];

/// Rules and policies: what forbids or regulates asking, rather than asking.
pub const RULE: &[&str] = &[
    "rule*",
    "regel*",
    "regla*",
    "norma*",
    "regle*",
    "forbidden",
    "prohibited",
    "allowed",
    "permitted",
    "verboten",
    "prohibido",
    "prohibida",
    "interdit*",
    "toegestaan",
    "verboden",
    "erlaubt",
    "permitido",
    "autoris*",
    "removal",
    "removed",
    "warning",
    "violat*",
    "sanction*",
    "sperre",
    "eliminad*",
    "supprim*",
    "verwijderd",
    "policy",
    "terms",
    "guidelines",
    "moderators",
    "result",
    "resultara",
    "entrainera",
    "fuhrt",
    "leidt",
];

/// What is given: a vote, support, a like.
pub const VOTE_NOUN: &[&str] = &[
    "vote",
    "votes",
    "voto",
    "votos",
    "voix",
    "stimme",
    "stimmen",
    "stem",
    "stemmen",
    "support",
    "apoyo",
    "soutien",
    "unterstutzung",
    "steun",
    "like",
    "likes",
    "+k",
    "+1",
    "upvote",
    "upvotes",
    "endorsement",
    "nomination",
    "recommendation",
    "recommandation",
    "recomendacion",
    "empfehlung",
    "aanbeveling",
    "nominierung",
    "nominatie",
    "nominacion",
    "click",
    "clic",
    "klick",
    "klik",
];

/// "Your" (asking for the reader's vote: "tu voto", "eure Stimme", "votre vote").
pub const YOUR: &[&str] = &[
    "your", "tu", "tus", "vuestro", "vuestra", "vuestros", "vuestras", "votre", "vos", "ton", "ta",
    "eure", "euer", "euren", "eurer", "deine", "dein", "deinen", "deiner", "ihre", "jouw", "uw",
    "je",
];

/// "My" with a vote noun: giving ("you have my vote", "mi voto es tuyo").
pub const MY: &[&str] = &["my", "mi", "mon", "ma", "mijn", "meine", "mein", "meinen"];

/// Giving in the first person, to the reader: "te doy", "I give you", "ich gebe dir".
pub const GIVE_FIRST: &[&str] = &[
    "give", "giving", "doy", "damos", "donne", "donnons", "gebe", "geben", "geef", "geven",
    "here's", "have", "take",
];

/// The reader as the recipient, as a clitic before the verb: "te doy", "je te donne", "os doy".
pub const CLITIC_TO_YOU: &[&str] = &["te", "t'", "os"];

/// The reader as the one who receives.
pub const TO_YOU: &[&str] = &[
    "you", "u", "ya", "te", "t'", "dir", "dich", "toi", "vous", "jou", "os", "euch", "ti", "je",
    "usted",
];

/// Every day: "vote daily", "cada dia", "tous les jours", "jeden Tag", "elke dag".
pub const DAILY: &[&str] = &[
    "daily",
    "everyday",
    "taglich",
    "dagelijks",
    "diario",
    "diariamente",
    "quotidien*",
];
pub const DAILY_PAIRS: &[(&str, &str)] = &[
    ("every", "day"),
    ("each", "day"),
    ("once", "a"),
    ("cada", "dia"),
    ("los", "dias"),
    ("les", "jours"),
    ("chaque", "jour"),
    ("jeden", "tag"),
    ("elke", "dag"),
    ("iedere", "dag"),
    ("per", "day"),
    ("al", "dia"),
    ("par", "jour"),
    ("pro", "tag"),
    ("per", "dag"),
];

/// "One click is all it takes", "solo un minuto", "nur ein Klick".
pub const ONE_CLICK: &[(&str, &str)] = &[
    ("one", "click"),
    ("a", "click"),
    ("un", "clic"),
    ("un", "click"),
    ("ein", "klick"),
    ("een", "klik"),
    ("one", "minute"),
    ("a", "minute"),
    ("un", "minuto"),
    ("une", "minute"),
    ("eine", "minute"),
    ("takes", "seconds"),
    ("only", "takes"),
    ("ganz", "schnell"),
    ("super", "einfach"),
    ("pretty", "please"),
];

/// Words that open a question about how something works.
pub const HOW: &[&str] = &[
    "how", "why", "what", "when", "warum", "wann", "comment", "pourquoi", "quand", "como",
    "cuando", "hoe", "waarom", "wanneer",
];

/// Words that lead an imperative in to an ask: "go vote", "pop over and nominate", "just click".
pub const LEAD: &[&str] = &[
    "go",
    "come",
    "pop",
    "head",
    "hop",
    "just",
    "so",
    "now",
    "then",
    "also",
    "and",
    "y",
    "et",
    "und",
    "en",
    "ahora",
    "maintenant",
    "jetzt",
    "nu",
    "bitte",
    "please",
    "pls",
    "plz",
    "porfa",
    "svp",
    "alsjeblieft",
    "ga",
    "geh",
    "geht",
    "allez",
    "id",
    "ve",
    "vamos",
    "komm",
    "kommt",
];

/// Frequent words that tell the five languages apart on short texts (accent-folded).
pub const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "you", "for", "my", "me", "please", "is", "it", "to", "of", "this",
            "that", "with", "your", "i'm", "can", "would", "vote", "thanks", "what", "how", "it's",
            "are", "just", "anyone", "do", "don't", "we", "our", "if",
        ],
    ),
    (
        "nl",
        &[
            "de",
            "het",
            "een",
            "en",
            "ik",
            "je",
            "mijn",
            "op",
            "van",
            "is",
            "niet",
            "dat",
            "voor",
            "jullie",
            "wij",
            "ons",
            "stem",
            "graag",
            "alsjeblieft",
            "bedankt",
            "wil",
            "kun",
            "zou",
            "ook",
            "maar",
            "met",
            "aan",
            "heb",
            "nog",
            "wat",
            "hoe",
        ],
    ),
    (
        "fr",
        &[
            "le", "la", "les", "et", "je", "vous", "mon", "ma", "pour", "est", "pas", "une", "des",
            "du", "que", "qui", "merci", "moi", "votez", "nous", "sur", "avec", "c'est", "j'ai",
            "svp", "plait", "ne", "au", "tous", "votre", "comment",
        ],
    ),
    (
        "es",
        &[
            "el", "la", "los", "las", "y", "de", "que", "mi", "por", "para", "es", "un", "una",
            "con", "no", "gracias", "favor", "os", "vuestro", "tu", "me", "del", "lo", "se",
            "voto", "votad", "votar", "muy", "como", "pero", "todos",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ich", "du", "mein", "meine", "fur", "ist", "nicht", "ein",
            "eine", "bitte", "danke", "mir", "mich", "euch", "eure", "ihr", "stimme", "auf", "mit",
            "auch", "wir", "uns", "es", "zu", "den", "dem", "wie",
        ],
    ),
];

/// Elections and civic voting: calls to vote that ask nothing for the writer.
pub const ELECTION: &[&str] = &[
    "election*",
    "elecci*",
    "elector*",
    "verkiezingen",
    "wahlen",
    "wahltag",
    "landtag*",
    "bundestag*",
    "partij*",
    "partei*",
    "partido*",
    "parti",
    "partis",
    "stembus",
    "stembureau",
    "stembiljet",
    "urna*",
    "urne",
    "isoloir",
    "democra*",
    "demokrat*",
    "stemrecht",
    "kiesrecht",
    "wahlrecht",
    "candidates",
    "kandidaten",
    "candidatos",
    "candidats",
    "politi*",
    "gemeenteraad*",
    "kommunalwahl",
    "presidential",
    "presidentielle*",
    "legislativ*",
];

/// The poll is open, the last day, a vote to cast: a campaign's call.
pub const VOTING_OPEN: &[(&str, &str)] = &[
    ("voting", "open"),
    ("voting", "is"),
    ("last", "day"),
    ("cast", "a"),
    ("cast", "your"),
    ("polls", "open"),
    ("abstimmung", "lauft"),
    ("voting", "lauft"),
    ("votaciones", "abiertas"),
    ("votacion", "abierta"),
    ("votes", "sont"),
    ("vote", "est"),
    ("stemming", "is"),
    ("stemmen", "kan"),
    ("stembus", "is"),
    ("start", "clicking"),
    ("entscheidet", "ihr"),
    ("decidez", "vous"),
    ("decides", "tu"),
    ("vote", "here"),
    ("vote", "now"),
    ("vota", "aqui"),
    ("votez", "ici"),
    ("hier", "abstimmen"),
    ("hier", "stemmen"),
];

/// "Can" to the reader: "you can", "ihr könnt", "vous pouvez", "podéis", "je kunt".
pub const CAN: &[&str] = &[
    "can", "konnt", "konnen", "kannst", "konnen", "pouvez", "peux", "podeis", "puedes", "pueden",
    "kunt", "kun", "kunnen", "could", "mogt", "durft",
];

/// "Don't hesitate to…": a polite request form that carries a negation word without refusing
/// anything ("n'hésitez pas à lui donner une étoile", "no dudes en votar", "zögert nicht").
pub const HESITATE: &[(&str, &str)] = &[
    ("don't", "hesitate"),
    ("dont", "hesitate"),
    ("not", "hesitate"),
    ("n'hesitez", "pas"),
    ("n'hesite", "pas"),
    ("hesitez", "pas"),
    ("hesite", "pas"),
    ("no", "dudes"),
    ("no", "dudeis"),
    ("no", "duden"),
    ("no", "dude"),
    ("zogert", "nicht"),
    ("zogere", "nicht"),
    ("zogern", "sie"),
    ("aarzel", "niet"),
    ("aarzelt", "niet"),
    ("schroom", "niet"),
];

/// Imperatives that open a sentence and lead to the act: "click here to vote", "klik op de
/// button om te stemmen", "cliquez ici pour voter", "pinchad y votad".
pub const CLICK: &[&str] = &[
    "click", "klik", "klick", "klicke", "klickt", "cliquez", "clique", "clic", "pincha", "pinchad",
    "pulsa", "pulsad", "haz", "tap", "tik",
];

/// "This", pointing at the thing the text sits under: "vote for this blog", "like this
/// comment", "vota este blog", "donnez une étoile à ce projet".
pub const THIS: &[&str] = &[
    "this", "these", "este", "esta", "estos", "estas", "ce", "cet", "cette", "ces", "dieses",
    "diesen", "diese", "dieser", "diesem", "deze", "dit",
];

/// What a writer makes and asks others to back.
pub const WORK: &[&str] = &[
    "blog*",
    "channel*",
    "canal",
    "chaine",
    "kanal*",
    "kanaal",
    "video*",
    "vid",
    "project*",
    "proyecto*",
    "projet*",
    "projekt*",
    "page",
    "pagina",
    "seite",
    "post",
    "repo*",
    "comment",
    "comentario*",
    "kommentar*",
    "commentaire*",
    "podcast*",
    "app",
    "tool",
    "outil",
    "script",
    "plugin",
    "entry",
    "entrada",
    "beitrag",
    "bijdrage",
    "foto",
    "photo*",
    "bild",
    "song",
    "cancion",
    "chanson",
    "lied",
    "liedje",
];

/// Stopping an act: "stop playing the LIKE contest game", "deja de pedir votos", "hört auf".
pub const STOP: &[&str] = &[
    "stop", "stopt", "quit", "arretez", "arrete", "arreter", "cessez", "aufhoren", "ophouden",
];

/// Two-word forms of [`STOP`].
pub const STOP_PAIRS: &[(&str, &str)] = &[
    ("deja", "de"),
    ("dejad", "de"),
    ("dejen", "de"),
    ("hort", "auf"),
    ("hor", "auf"),
    ("stop", "met"),
];

/// A subject that is nobody in particular: "il faut voter", "il y a", "il est".
pub const IMPERSONAL_AFTER_IL: &[&str] = &["faut", "y", "est", "suffit", "s'agit", "reste"];

/// Counting on someone (the verb and its preposition, in either order within a few words):
/// with the reader near, a request for their backing.
pub const COUNT_ON: &[(&str, &str)] = &[
    ("count", "on"),
    ("counting", "on"),
    ("rekenen", "op"),
    ("reken", "op"),
    ("compte", "sur"),
    ("comptons", "sur"),
    ("compter", "sur"),
    ("cuento", "con"),
    ("contamos", "con"),
    ("contar", "con"),
    ("zahle", "auf"),
    ("zahlen", "auf"),
    ("rechne", "mit"),
    ("rechnen", "mit"),
];

/// Asking as an act, the verb a prohibition forbids: "don't ask for upvotes", "no pidas
/// votos", "ne demandez pas", "bettelt nicht", "vraag niet om stemmen".
pub const ASKING: &[&str] = &[
    "ask", "asking", "beg", "begging", "pid*", "pedir", "demand*", "bettel*", "bitten", "bittet",
    "vraag", "vragen", "smeek*", "solicit*", "spam*",
];

/// Reminders, which a negation turns into a request: "don't forget to vote", "n'oubliez pas",
/// "no te olvides", "vergesst nicht", "vergeet niet", "ne manquez pas".
pub const FORGET: &[&str] = &[
    "forget*", "oubli*", "olvid*", "vergess*", "vergesst", "vergeet", "vergeten", "miss", "manqu*",
    "pierd*", "verpass*", "mis",
];
