"""Keyword tables for :mod:`bot.core.analysis`, one entry per language (en fr es it de pt id zh).

Every table maps a language code to a tuple of regular-expression fragments (case-insensitive). The analysis module
compiles them once at import time: fragments of Latin-script languages get word boundaries and accent folding
(``não`` also matches ``nao``), ``zh`` fragments are used as they are (no word boundaries in Chinese). Most tables
are applied for all languages at once, because users mix languages and short messages are often misidentified;
tables with false friends across languages (question words) are applied for the detected language only.

The placeholder ``{A}`` in a fragment stands for the action verbs (``STEP_ACTIONS``) of the same language.
"""

from __future__ import annotations

Lexicon = dict[str, tuple[str, ...]]

# ---------------------------------------------------------------------------------------------------------------
# Language identification of very short messages ("merci", "valeu", "mantap"): distinctive words only.
# ---------------------------------------------------------------------------------------------------------------
SHORT_WORDS: Lexicon = {
    "en": (
        "hi", "hello", "hey", "thanks", "thank", "thx", "ty", "cool", "nice", "awesome", "brb", "lol", "lmao",
        "anybody", "anyone", "everyone", "yeah", "yep", "nope", "got it", "the", "is", "what", "how", "why",
        "please", "sorry", "great", "welcome", "cheers", "morning", "night", "bye", "wow",
    ),
    "fr": (
        "salut", "bonjour", "bonsoir", "merci", "oui", "ouais", "beaucoup", "ça", "c'est", "j'ai", "tout le monde",
        "coucou", "génial", "super", "mdr", "bonne", "soirée", "journée", "d'accord", "voilà", "désolé",
    ),
    "es": (
        "hola", "gracias", "sí", "vale", "crack", "funcionó", "buenas", "buenos", "días", "genial", "jaja+",
        "jeje+", "saludos", "perdón", "muchas", "todos", "qué", "listo",
    ),
    "it": (
        "ciao", "grazie", "buona", "buongiorno", "buonasera", "serata", "tutti", "prego", "perfetto", "ottimo",
        "scusate", "mille", "allora", "funziona",
    ),
    "de": (
        "hallo", "danke", "servus", "moin", "schönes", "wochenende", "euch", "bitte", "gute", "nacht", "genau",
        "super", "tschüss", "klappt", "jemand", "geil", "ich", "nicht",
    ),
    "pt": (
        "oi", "olá", "obrigado", "obrigada", "valeu", "beleza", "tudo", "bem", "funcionou", "isso", "mesmo",
        "aqui", "k{4,}", "rs+", "vlw", "blz", "show", "bom", "dia", "pessoal", "não", "você", "vocês",
    ),
    "id": (
        "halo", "makasih", "terima kasih", "mantap", "gan", "sip", "wkwk+", "ya", "nih", "dong", "aja", "maaf",
        "tadi", "salah", "selamat", "pagi", "malam", "siap", "oke", "ga", "gak", "udah", "nggak", "yg",
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Failure vocabulary (a report that something is broken). Applied for all languages.
# ---------------------------------------------------------------------------------------------------------------
FAILURE: Lexicon = {
    "en": (
        r"fail(?:s|ed|ing|ure|ures)?", r"errors?", r"crash(?:es|ed|ing)?", r"broke(?:n)?", r"breaks", r"breaking",
        r"bug(?:gy)?", r"(?:does|do|did|is|are|was)(?:n'?t| not) work(?:ing)?", r"not working", r"stopped working",
        r"won'?t (?:load|work|open|close|start|apply|update|install|show|build|upload|download|launch|boot)",
        r"never (?:gets?|arrives?|shows?|appl(?:y|ies)|loads?|receives?|reach(?:es)?|fires?|installs?|updates?|"
        r"happens?|downloads?|changes?|works?|comes?|finish(?:es)?|completes?|appears?)",
        r"(?:doesn'?t|does not|didn'?t|did not|isn'?t|is not|aren'?t|are not|wasn'?t|not) (?:get(?:ting)? )?"
        r"(?:appl(?:y|ied|ying)|load(?:ed|ing)?|updat(?:e|ed|ing)|show(?:n|ing)?|fir(?:e|ed|ing)|clos(?:e|ed|ing)|"
        r"open(?:ed|ing)?|trigger(?:ed|ing)?|chang(?:e|ed|ing)|receiv(?:e|ed|ing)|install(?:ed|ing)?|"
        r"download(?:ed|ing)?|reach(?:ed|ing)?|respond(?:ing)?|persist(?:ed)?|revert(?:ed|ing)?|"
        r"recogni[sz](?:e|ed)|found|detected|called|taking effect|take effect)",
        r"stuck", r"hang(?:s|ing)?", r"freez(?:e|es|ing)", r"frozen", r"(?:white|blank|black) screen",
        r"revert(?:s|ed|ing)? (?:back )?to", r"rolls? back to", r"goes back to", r"keeps? (?:\w+ing|on \w+ing)",
        r"over and over", r"in a loop", r"loops?", r"tim(?:e|ed|ing) ?out", r"exceptions?", r"issues?",
        r"problems?", r"nothing happens", r"no effect", r"unusable", r"stays? (?:on|at|in)", r"still (?:on|the old)",
        r"wrong", r"randomly", r"regression", r"misbehav\w*", r"weird(?:ly)?", r"denied", r"rejected",
        r"(?:can'?t|cannot|unable to|couldn'?t) (?:upload|install|build|log ?in|sign ?in|open|load|connect|download|"
        r"deploy|access|update|compile|run|start|sync|get|see|receive)",
    ),
    "fr": (
        r"échou\w*", r"erreurs?", r"plant(?:e|é|ent|ait|age)", r"crash\w*", r"bug\w*", r"beug\w*",
        r"(?:ne )?(?:marche|fonctionne|passe|charge|s'applique|se lance|se ferme|s'ouvre|démarre) (?:pas|plus|jamais)",
        r"cass[ée]\w*", r"bloqu[ée]\w*", r"fig[ée]\w*", r"écran (?:blanc|noir)", r"jamais", r"impossible de",
        r"n'arrive (?:pas|plus)", r"problèmes?", r"soucis?", r"revient (?:à|sur)", r"reste (?:sur|bloqué|coincé)",
        r"rien ne se passe", r"aucun effet", r"ne reçoi\w* (?:pas|plus|rien|aucune?)",
    ),
    "es": (
        r"fall(?:a|an|ó|aron|ando|o|ido)", r"error(?:es)?", r"crashea\w*", r"crash\w*",
        r"se (?:cuelga|cae|cierra|congela|queda|reinicia|traba|rompe)", r"no (?:me |nos )?funciona\w*",
        r"no (?:se )?(?:aplica|carga|actualiza|abre|cierra|descarga|instala|llega|recibe|dispara|cambia|muestra|"
        r"guarda|ejecuta)\w*", r"nunca", r"pantalla (?:blanca|negra)", r"rot[oa]s?", r"bloquead[oa]s?",
        r"congelad[oa]s?", r"problemas?", r"imposible", r"sigue (?:en|con|la|el|igual|sin)", r"vuelve a la versión",
        r"no pasa nada", r"sin efecto", r"no hace nada",
    ),
    "it": (
        r"fallisc\w*", r"fallit[oa]", r"error[ei]", r"crash\w*", r"si (?:blocca|pianta|chiude|ferma|riavvia|impalla)",
        r"bloccat[oa]", r"non (?:mi )?(?:funziona|parte|va|si apre|si chiude|carica|applica|arriva|riceve|aggiorna|"
        r"scarica|cambia|succede|compare|appare|funzionano|partono)\w*", r"mai", r"schermata (?:bianca|nera)",
        r"rott[oa]", r"problem[ai]", r"impossibile", r"resta (?:su|sulla|sul|bloccat\w*)", r"rimane (?:su|sulla|sul)",
        r"torna (?:alla|al) versione", r"non succede nulla", r"nessun effetto",
    ),
    "de": (
        r"fehler\w*", r"fehlgeschlagen", r"schlägt\s+\w*\s*fehl", r"schlug fehl",
        r"funktionier\w* (?:\w+ )?(?:nicht|nie|kein\w*)", r"klappt (?:\w+ ){0,3}(?:nicht|nie)", r"geht (?:\w+ ){0,2}nicht",
        r"stürzt\s+\w*\s*ab", r"abgestürzt", r"absturz", r"crash\w*", r"hängt", r"hängen", r"kaputt",
        r"nicht mehr", r"niemals?", r"weißer bildschirm", r"weisser bildschirm", r"problem\w*", r"bug\w*",
        r"keine wirkung", r"(?:wird|werden) (?:\w+ )?nicht", r"bleibt (?:auf|bei|hängen)", r"springt zurück",
        r"passiert nichts", r"lädt nicht",
    ),
    "pt": (
        r"falh(?:a|ou|am|ando|ei|aram)", r"erros?", r"trav(?:a|ou|ando|ado|ada)", r"crash\w*",
        r"quebr(?:a|ou|ado|ada)", r"não (?:me )?(?:funciona|funcionou|dispara|aparece|carrega|abre|fecha|atualiza|"
        r"aplica|muda|recebe|chega|baixa|instala|mostra|roda|inicia|faz nada)\w*", r"nunca", r"tela (?:branca|preta)",
        r"problemas?", r"impossível", r"fica (?:preso|presa|travad\w*|na|no|em)", r"volta (?:pra|para) (?:a )?versão",
        r"não acontece nada", r"sem efeito", r"deu ruim", r"bugad\w*", r"bug\w*",
    ),
    "id": (
        r"gagal", r"error", r"eror", r"crash", r"force close",
        r"(?:ga|gak|nggak|ngga|enggak|tidak|tak|ndak) (?:bisa|jalan|ngaruh|muncul|kebuka|ke-?update|berubah|masuk|"
        r"berfungsi|work|berhasil|ke-?apply|kepanggil|ke-?download|ke-?install|nongol|dapet)", r"rusak", r"macet",
        r"stuck", r"nge-?hang", r"hang", r"blank", r"layar (?:putih|hitam)", r"malah", r"tetep", r"tetap (?:di|dapet|"
        r"dapat|versi)", r"balik (?:lagi )?ke", r"masalah", r"bermasalah", r"bug", r"nge-?bug", r"kenapa (?:ga|gak)",
    ),
    "zh": (
        "失败", "报错", "错误", "异常", "崩溃", "闪退", "卡住", "卡在", "卡死", "白屏", "黑屏", "没效果", "没有效果",
        "不生效", "无效", "不起作用", "不工作", "无法", "没反应", "没有反应", "变回", "回滚到", "回退到", "不行",
        "问题", "bug", "收不到", "没收到", "不更新", "不显示", "打不开", "出错", "挂了",
    ),
}

# ---------------------------------------------------------------------------------------------------------------
# Question cues. ASK_ANY: safe for every language. QUESTION_WORDS: per detected language only (false friends:
# "come", "como", "was", "apa", ...), matched at the start of the message or of a sentence.
# ---------------------------------------------------------------------------------------------------------------
ASK_ANY: Lexicon = {
    "en": (
        r"any (?:idea|ideas|way|hint|clue|help|suggestion|tips?)", r"no idea why", r"what am i (?:doing wrong|missing)",
        r"please advise", r"need (?:some )?help", r"help(?: me| us)?(?: please| pls)?", r"how (?:do|can|should|would) (?:i|we|you|one)",
        r"is (?:there|it) (?:a|any|some|possible)", r"does (?:anyone|anybody|capgo|it|the)", r"wondering",
        r"feature request", r"would (?:be|it be) (?:nice|great|useful|good|helpful)", r"could be useful",
        r"please add", r"it would be", r"should (?:be able|allow|support)", r"i (?:would )?like to know",
        r"want to know", r"documentation (?:mistake|error|issue)", r"docs? (?:is|are) (?:wrong|unclear|missing)",
        r"unclear", r"confus\w*", r"how to",
    ),
    "fr": (
        r"une idée", r"des idées", r"besoin d'aide", r"aidez-moi", r"de l'aide", r"comment (?:faire|on|je|fait-on)",
        r"est-ce qu", r"je voudrais savoir", r"quelqu'un sait", r"il faudrait", r"ce serait (?:bien|top|utile)",
    ),
    "es": (
        r"alguna idea", r"ayuda", r"necesito ayuda", r"c[oó]mo (?:hago|puedo|se)", r"alguien sabe",
        r"ser[ií]a (?:bueno|genial|útil)", r"quisiera saber",
    ),
    "it": (
        r"qualche idea", r"aiuto", r"come (?:faccio|posso|si)", r"qualcuno sa", r"sarebbe (?:bello|utile|comodo)",
        r"vorrei sapere",
    ),
    "de": (
        r"irgendwelche ideen", r"hilfe", r"wie kann (?:ich|man)", r"weiß jemand", r"wäre (?:schön|toll|gut|praktisch)",
        r"gibt es (?:eine|einen|ein)", r"kann man",
    ),
    "pt": (
        r"alguma ideia", r"ajuda", r"como (?:faço|posso|que)", r"algu[eé]m sabe", r"seria (?:bom|legal|útil)",
        r"tem como", r"d[aá] pra",
    ),
    "id": (
        r"gimana", r"bagaimana", r"tolong", r"bantu(?:in)?", r"ada yang tau", r"ada yang tahu", r"cara(?:nya)?",
        r"bisa (?:ga|gak|nggak|ngga|tidak|kah)",
    ),
    "zh": ("怎么", "如何", "为什么", "有没有", "能不能", "可不可以", "是否", "求助", "请问", "吗", "呢", "哪里", "哪个", "什么"),
}

QUESTION_WORDS: Lexicon = {
    "en": (
        "how", "what", "why", "where", "when", "which", "who", "is", "are", "can", "could", "does", "do", "did",
        "should", "would", "will", "any", "anyone", "anybody", "has", "have",
    ),
    "fr": (
        "comment", "pourquoi", "quoi", "quel", "quelle", "quels", "quelles", "où", "quand", "est-ce", "peut-on",
        "on peut", "y a-t-il", "c'est quoi", "qu'est-ce", "combien", "faut-il",
    ),
    "es": ("cómo", "qué", "por qué", "dónde", "cuál", "cuándo", "cuánto", "se puede", "hay", "alguien", "es posible"),
    "it": ("come", "perché", "cosa", "quale", "dove", "quando", "quanto", "si può", "c'è", "posso", "qualcuno", "è possibile"),
    "de": (
        "wie", "was", "warum", "wieso", "weshalb", "wo", "wann", "welche", "welcher", "welches", "kann", "gibt es",
        "ist es", "muss", "soll", "hat jemand", "unterstützt",
    ),
    "pt": ("como", "o que", "por que", "porque", "onde", "qual", "quando", "quanto", "dá pra", "tem como", "posso", "é possível"),
    "id": ("gimana", "bagaimana", "kenapa", "mengapa", "apa", "apakah", "kapan", "dimana", "di mana", "bisa", "berapa"),
    "zh": (),
}

# ---------------------------------------------------------------------------------------------------------------
# Chit-chat and messages the bot must not answer.
# ---------------------------------------------------------------------------------------------------------------
# Greetings, thanks, acknowledgements, laughter, small talk: removed from the message; if (almost) nothing is
# left, the message is chit-chat.
PHATIC: Lexicon = {
    "en": (
        r"h(?:i|ello|ey|iya|owdy)", r"yo", r"gm", r"gn", r"good (?:morning|afternoon|evening|night|day)",
        r"every(?:one|body)", r"all", r"guys", r"folks", r"y'all", r"thanks?(?: you)?", r"thx", r"ty",
        r"tysm", r"a lot", r"so much", r"very much", r"cheers", r"appreciated?", r"ok(?:ay)?", r"k+", r"sure",
        r"cool", r"nice", r"great", r"awesome", r"perfect", r"sweet", r"amazing", r"wow", r"oh", r"ah+", r"lol",
        r"lmao", r"(?:ha)+h?", r"hehe+", r"brb", r"afk", r"np", r"no problem", r"yw", r"you'?re welcome",
        r"got it", r"makes sense", r"good to know", r"(?:i )?didn'?t know(?: that)?", r"that fixed it",
        r"(?:it|that|this) (?:works|worked)(?: now)?", r"works now", r"fixed it", r"solved", r"nvm",
        r"never ?mind", r"my bad", r"sorry", r"yes", r"yeah", r"yep", r"yup", r"no", r"nope", r"bye",
        r"see (?:you|ya)", r"later", r"have a (?:nice|good|great) (?:day|weekend|evening|one)", r"same",
        r"me too", r"agreed", r"exactly", r"indeed", r"welcome back", r"dude", r"buddy", r"mate",
        r"wrong channel", r"oops", r"congrats", r"gg", r"love it", r"you rock", r"legend",
    ),
    "fr": (
        r"salut", r"bonjour", r"bonsoir", r"coucou", r"tout le monde", r"à tous", r"merci(?: beaucoup| bien)?",
        r"ça marche(?! pas)(?! plus)", r"ça fonctionne(?! pas)(?! plus)", r"c'est bon", r"ok", r"d'accord",
        r"super", r"génial", r"parfait", r"top", r"ah", r"oh", r"j'avais pas vu", r"je savais pas",
        r"bonne (?:journée|soirée|nuit|semaine)", r"bon (?:week-end|weekend|courage)", r"à plus", r"mdr", r"ptdr",
        r"désolée?", r"oui", r"ouais", r"non", r"voilà", r"nickel", r"pas de souci", r"de rien", r"résolu",
    ),
    "es": (
        r"hola", r"buen(?:os|as)(?: días| tardes| noches)?", r"a todos", r"gracias", r"muchas", r"crack", r"genio",
        r"(?<!no )funcion[oó]", r"(?<!no )funciona", r"ya (?:está|funciona)", r"vale", r"listo", r"genial",
        r"perfecto", r"j[aei]j[aei]+", r"saludos", r"de nada", r"perdón", r"sí", r"no", r"claro", r"ok",
        r"buen finde", r"que tengan buen", r"resuelto",
    ),
    "it": (
        r"ciao", r"a tutti", r"buon(?:a|o)?(?:giorno|sera|asera|anotte| serata| giornata| weekend| lavoro)?",
        r"serata", r"grazie(?: mille)?", r"(?<!non )funziona", r"perfetto", r"ottimo", r"prego", r"scusate",
        r"scusa", r"sì", r"no", r"ok", r"va bene", r"risolto",
    ),
    "de": (
        r"hallo", r"hi", r"servus", r"moin", r"guten (?:morgen|tag|abend)", r"gute nacht", r"danke(?: schön| sehr)?",
        r"vielen dank", r"schönes wochenende", r"schönen (?:abend|tag)", r"euch", r"allen", r"alle", r"super",
        r"genau", r"top", r"(?<!nicht )geklappt", r"klappt(?! nicht)", r"(?<!nicht )funktioniert(?! nicht)",
        r"tschüss", r"bis (?:später|dann|morgen)", r"ja", r"nein", r"ok", r"alles klar", r"gelöst",
    ),
    "pt": (
        r"oi", r"olá", r"bom dia", r"boa (?:tarde|noite)", r"pessoal", r"obrigad[oa]", r"valeu", r"vlw",
        r"(?<!não )deu certo", r"(?<!não )funcionou(?: aqui)?", r"isso mesmo", r"beleza", r"blz", r"show",
        r"top", r"perfeito", r"k{3,}", r"rs+", r"sim", r"não", r"tmj", r"de nada", r"resolvido", r"ok",
    ),
    "id": (
        r"halo", r"hai", r"pagi", r"siang", r"sore", r"malam", r"selamat", r"semua", r"gan", r"makasih",
        r"terima ?kasih", r"thanks", r"mantap", r"mantul", r"sip", r"oke", r"ok", r"siap", r"wkwk\w*",
        r"maaf", r"sorry", r"salah (?:channel|chanel|kamar|room)", r"tadi", r"udah bisa", r"berhasil", r"ya",
        r"nih", r"dong", r"aja", r"kak", r"bang", r"mas", r"hehe+",
    ),
    "zh": (
        "谢谢", "多谢", "感谢", "哈+", "嘿+", "呵+", "好的", "好", "晚安", "早安", "早上好", "晚上好", "你好", "大家好",
        "大家", "(?<!没)(?<!未)解决了", "可以了", "搞定", "收到", "明白", "懂了", "辛苦了", "周末愉快", "再见", "嗯+", "哦+",
        "啊",
    ),
}

# "is anybody here", "y a quelqu'un ?", "有人吗"
PRESENCE: Lexicon = {
    "en": (r"(?:is )?(?:any|some)(?:one|body) (?:here|around|online|alive|awake|there)",),
    "fr": (r"(?:il )?y a quelqu'un(?: ici)?", r"quelqu'un (?:est )?(?:là|ici|dispo)"),
    "es": (r"(?:hay )?alguien (?:por )?(?:aquí|ahí|ahi|conectado|despierto)",),
    "it": (r"c'è qualcuno", r"qualcuno (?:c'è|online|qui)"),
    "de": (r"(?:ist )?(?:hier )?jemand (?:da|hier|online|wach)",),
    "pt": (r"(?:tem )?algu[eé]m (?:aí|ai|aqui|on|online|acordado)",),
    "id": (r"ada (?:orang|yang online|orang ga|yang aktif)", r"(?:ada )?yang online"),
    "zh": ("有人吗", "有人在吗", "在吗"),
}

# job offers and job seeking
JOBS: Lexicon = {
    "en": (
        r"(?:we'?re|we are|i'?m|i am|currently) hiring", r"hiring", r"job (?:offer|opening|post|opportunity)",
        r"looking for (?:a |an )?(?:\w+ ){0,3}(?:dev|devs|developer|developers|engineer|freelancer|contractor)s?",
        r"open (?:position|role)s?", r"(?:looking for|seeking) (?:a )?(?:job|work|gig|position)",
        r"(?:full|part)[- ]time", r"dm (?:me )?if (?:you'?re )?interested", r"available for (?:hire|freelance|work)",
    ),
    "fr": (
        r"on recrute", r"nous recrutons", r"recrut\w+", r"offre d'emploi", r"cherch\w+ (?:un |une )?(?:\w+ ){0,2}"
        r"(?:dev|développeu\w+|freelance|alternant|stagiaire)", r"cherche (?:du travail|un emploi|un stage|une mission|un job)",
    ),
    "es": (
        r"busco (?:trabajo|empleo|curro|chamba)", r"busc(?:o|amos) (?:un |una )?(?:\w+ ){0,2}(?:dev|desarrollador\w*|programador\w*)",
        r"oferta (?:de trabajo|de empleo|laboral)", r"estamos contratando", r"contratamos",
    ),
    "it": (
        r"cerc(?:o|hiamo) (?:un |una )?(?:\w+ ){0,2}(?:dev|sviluppator\w+|programmator\w+)", r"cerco lavoro",
        r"offerta di lavoro", r"stiamo assumendo", r"assumiamo",
    ),
    "de": (
        r"wir suchen (?:\w+ ){0,3}(?:dev|devs|entwickler\w*|developer|freelancer\w*)", r"suche (?:einen |eine )?(?:job|stelle|arbeit)",
        r"stellenangebot", r"(?:freelancer|entwickler) gesucht", r"pn an mich", r"wir stellen ein",
    ),
    "pt": (
        r"estamos contratando", r"contratando", r"vagas?", r"procur(?:o|amos) (?:um |uma )?(?:\w+ ){0,2}(?:dev|desenvolvedor\w*|programador\w*)",
        r"procuro (?:emprego|trabalho|vaga|freela)",
    ),
    "id": (r"lowongan", r"loker", r"cari kerja", r"cari kerjaan", r"dicari", r"butuh (?:dev|developer|programmer)",
           r"open recruitment", r"hiring"),
    "zh": ("招聘", "求职", "找工作", "内推", "招人", "招.{0,6}前端", "招.{0,6}工程师", "有兴趣私信"),
}

# release / changelog announcements
ANNOUNCE: Lexicon = {
    "en": (
        r"📢", r"changelog", r"release notes", r"(?:is|are) (?:now )?out\b", r"just (?:released|shipped|landed)",
        r"new (?:release|version) (?:is )?(?:out|available|released)", r"(?:now|is) available on npm",
        r"we(?:'ve| have)? (?:just )?released", r"announcement",
    ),
    "fr": (r"est (?:sortie?|disponible)", r"vient de sortir", r"nouvelle version (?:est )?disponible", r"annonce"),
    "es": (r"ya (?:está disponible|salió)", r"nueva versión disponible", r"acabamos de (?:lanzar|publicar)", r"anuncio"),
    "it": (r"è (?:uscit[ao]|disponibile)", r"nuova versione disponibile", r"abbiamo rilasciato", r"annuncio"),
    "de": (r"ist (?:jetzt )?(?:raus|verfügbar|draußen|erschienen)", r"neue version (?:ist )?verfügbar", r"ankündigung"),
    "pt": (r"(?:já )?(?:saiu|está disponível|foi lançad[ao])", r"nova versão disponível", r"anúncio"),
    "id": (r"(?:sudah|udah) rilis", r"versi baru (?:sudah|udah) (?:keluar|rilis)", r"pengumuman"),
    "zh": ("已发布", "发布了", "新版本上线", "更新日志", "公告"),
}

# Replies by maintainers / helpers inside a conversation ("fixed in 7.41.2, could you update and confirm?").
MAINTAINER: Lexicon = {
    "en": (
        r"fixed in (?:v|version )?\d", r"(?:released|shipped|landed) in (?:v|version )?\d",
        r"thanks? (?:you )?for (?:the|your) (?:report|feedback|patience|details)",
        r"(?:could|can|would) you (?:please )?(?:update|upgrade|try|retry|test|confirm|check)\b.{0,40}"
        r"(?:confirm|let (?:me|us) know|tell (?:me|us)|report back)",
        r"(?:dm|pm|send|share|give|paste|post) (?:me|us) (?:your|the) (?:app ?id|logs?|org|email|config|device ?id)",
        r"(?:can|could) you (?:dm|pm|send|share|give|paste|post) (?:me|us)",
        r"(?:i'?ll|i will|we'?ll|we will|let me) (?:check|look|take a look|investigate|dig)\b",
        r"on our (?:side|end)",
    ),
    "fr": (
        r"corrigé dans (?:la )?(?:v|version )?\d", r"merci pour (?:le|ton|votre) (?:signalement|retour|report)",
        r"(?:tu peux|pouvez-vous|peux-tu|vous pouvez) (?:mettre à jour|tester|réessayer|confirmer)\b.{0,40}(?:nous dire|confirmer|"
        r"nous tenir|me dire)", r"(?:envoie|envoyez)[- ]moi (?:ton|votre|l')", r"je (?:regarde|vérifie) (?:ça|de notre côté)",
    ),
    "es": (
        r"(?:corregido|arreglado|solucionado) en (?:la )?(?:v|versión )?\d", r"gracias por (?:el|tu) (?:reporte|aviso)",
        r"(?:puedes|podés|podrías) actualizar y (?:confirmar|avisar|decirnos)", r"(?:mándame|envíame|pásame) (?:tu|el)",
        r"lo (?:reviso|miro) (?:de nuestro lado)?",
    ),
    "it": (
        r"(?:risolto|corretto|sistemato|fixato) (?:nella|in|con la) (?:v|versione )?\d", r"grazie per la segnalazione",
        r"puoi aggiornare e (?:confermare|farci sapere|dirci)", r"(?:mandami|inviami|passami) (?:il tuo|la tua|l')",
    ),
    "de": (
        r"(?:behoben|gefixt|gefixed|korrigiert) (?:in|mit) (?:der )?(?:v|version )?\d", r"danke für (?:den|die|deine) (?:report|meldung|rückmeldung)",
        r"(?:kannst du|könnt ihr) (?:bitte )?(?:updaten|aktualisieren)\b.{0,40}(?:bestätigen|bescheid)",
        r"schick mir (?:bitte )?(?:deine|dein|die)",
    ),
    "pt": (
        r"corrigido (?:na|em|no) (?:v|versão )?\d", r"obrigad[oa] pelo (?:report|aviso|feedback)",
        r"(?:pode|podem|consegue) atualizar e (?:confirmar|nos dizer|avisar)", r"me (?:manda|envia|passa) (?:seu|o seu|teu|o)",
    ),
    "id": (
        r"(?:sudah|udah) (?:di)?fix di", r"(?:di)?fix di (?:versi )?v?\d", r"makasih (?:udah|sudah) (?:lapor|report)",
        r"(?:bisa|coba) update (?:dan|terus) (?:konfirmasi|kabari|kabarin)", r"kirim (?:app ?id|id|log)(?:nya)? (?:kamu|mu|ke aku)",
    ),
    "zh": ("已在.{0,12}修复", "修复于", "感谢反馈", "请更新.{0,10}(?:确认|反馈)", "私信我你的", "把你的.{0,12}发(?:给)?我"),
}

# Suggestions to another user ("try npx cap sync, worked for me"), usually imperative at the start.
SUGGEST_START: Lexicon = {
    "en": (
        r"try(?= \w+ing\b| npx| npm| yarn| pnpm| bunx| cap\b| this\b| that\b| it\b| again\b| with\b| using\b| to (?:run|add|remove|delete|clear|set|call|use|update|upgrade|downgrade|reinstall)\b)",
        r"have you tried", r"did you (?:try|run|call|add|check|set)", r"you (?:need|have|should|must) to",
        r"you should", r"make sure", r"just (?:run|add|call|use|delete|remove|set)", r"maybe (?:try|check)",
    ),
    "fr": (r"essaie", r"essaye", r"essayez", r"as-tu essayé", r"tu as essayé", r"il faut que tu", r"vérifie que"),
    "es": (r"prueba", r"proba", r"probá", r"intenta", r"has probado", r"probaste", r"tienes que", r"asegúrate"),
    "it": (r"prova", r"provate", r"hai provato", r"devi", r"assicurati"),
    "de": (r"versuch(?:e|s)?(?: mal)?", r"probier(?:e|s)?(?: mal)?", r"hast du (?:schon )?(?:mal )?\w+", r"du musst"),
    "pt": (r"tenta", r"tente", r"já tentou", r"tentou", r"você tem que", r"tem que", r"verifica se"),
    "id": (r"coba(?:in)?", r"udah coba", r"sudah coba", r"pastikan", r"harus"),
    "zh": ("试试", "你试试", "可以试试", "试一下", "你可以"),
}
# "worked for me", "a mí me pasó lo mismo", "我这边也是"
SUGGEST_ANY: Lexicon = {
    "en": (r"worked for me", r"works for me", r"same (?:thing )?happened to me", r"that'?s what i did"),
    "fr": (r"chez moi ça (?:a )?marché", r"ça a marché pour moi", r"pareil pour moi"),
    "es": (r"a mí me (?:pasó|funcionó)", r"me pasó lo mismo", r"a mi me (?:pasó|funcionó)"),
    "it": (r"a me ha funzionato", r"a me funziona", r"anche a me"),
    "de": (r"bei mir (?:hat|ging|klappt|funktioniert)", r"hat bei mir"),
    "pt": (r"comigo funcionou", r"aqui funcionou", r"funcionou pra mim"),
    "id": (r"di aku (?:bisa|jalan|berhasil)", r"aku juga gitu"),
    "zh": ("我这边可以", "我这样就好了", "对我有用"),
}

# "anyone have experience with X?" -- off-topic when it does not mention the product.
POLL: Lexicon = {
    "en": (r"(?:does )?any(?:one|body) (?:have|has|got) (?:any )?experience", r"any(?:one|body) (?:using|use|tried|here using)",
           r"what do you (?:guys )?think (?:of|about)", r"thoughts on", r"recommend(?:ations)? for (?:a|an) (?:laptop|mac|monitor|keyboard|chair)"),
    "fr": (r"quelqu'un (?:a (?:déjà )?(?:essayé|utilisé|testé)|utilise|connaît|a de l'expérience)", r"vous pensez quoi de"),
    "es": (r"alguien (?:ha usado|usa|tiene experiencia|conoce|probó)", r"qué opinan de"),
    "it": (r"qualcuno (?:ha esperienza|usa|ha provato|conosce)", r"che ne pensate"),
    "de": (r"hat jemand (?:\w+ )?(?:erfahrung|schon mal|schonmal)", r"nutzt jemand", r"was haltet ihr von"),
    "pt": (r"algu[eé]m (?:usa|já usou|tem experiência|conhece|já testou)", r"o que acham de"),
    "id": (r"ada yang (?:pake|pakai|pernah|udah pake|sudah pakai)", r"enak (?:ga|gak|nggak)"),
    "zh": ("有人用过", "有没有人用过", "大家觉得", "推荐一下"),
}
# "because" after a question mark: jokes and rhetorical questions answered in the same message.
JOKE_BECAUSE: Lexicon = {
    "en": ("because", "cause", "'cause"), "fr": ("parce que", "car"), "es": ("porque",), "it": ("perché",),
    "de": ("weil",), "pt": ("porque",), "id": ("karena", "soalnya"), "zh": ("因为",),
}
SMALL_TALK: Lexicon = {
    "en": (r"how are (?:you|u)(?: all| guys| doing)?", r"how'?s it going", r"what'?s up", r"how was your (?:day|weekend)"),
    "fr": (r"ça va", r"comment (?:ça va|allez-vous|vas-tu)"),
    "es": (r"qué tal", r"cómo (?:están|estás|va)"),
    "it": (r"come (?:state|stai|va)",),
    "de": (r"wie geht'?s", r"wie geht es euch"),
    "pt": (r"tudo bem", r"como vocês estão", r"beleza\?"),
    "id": (r"apa kabar", r"gimana kabar"),
    "zh": ("你好吗", "最近怎么样", "吃了吗"),
}

# Words showing the message is about the product (used to tell off-topic polls and jokes from real questions).
PRODUCT: Lexicon = {
    "en": (
        r"capgo", r"capacitor", r"updater", r"live ?updates?", r"ota", r"bundles?", r"channels?", r"plugins?",
        r"notifyappready", r"rollbacks?", r"roll back", r"rollouts?", r"mau", r"dashboard", r"console", r"cli",
        r"api ?keys?", r"encryption", r"encrypted", r"delta", r"social ?login", r"inappbrowser", r"in-app browser",
        r"biometric\w*", r"self-?host\w*", r"updates?", r"deploy\w*", r"uploads?", r"apps?", r"org(?:ani[sz]ations?)?",
        r"builtin", r"versions?", r"ionic", r"sdk", r"splash ?screen", r"device\w*", r"users?",
    ),
    "fr": (r"mises? à jour", r"canal", r"canaux", r"appli\w*"),
    "es": (r"actualizaci\w+", r"canal", r"aplicaci\w+"),
    "it": (r"aggiornament\w+", r"canale", r"applicazion\w+"),
    "de": (r"aktualisierung\w*", r"kanal", r"kanäle"),
    "pt": (r"atualizaç\w+", r"canal", r"aplicativo"),
    "id": (r"pembaruan", r"aplikasi"),
    "zh": ("更新", "插件", "渠道", "版本", "热更新", "应用", "包"),
}

# Technical words: a question without any of them is off-topic small talk.
TECH: Lexicon = {
    "en": (
        r"code", r"config\w*", r"build\w*", r"install\w*", r"login", r"log ?in", r"sign ?in", r"sso", r"saml",
        r"android", r"ios", r"iphone", r"web", r"xcode", r"gradle", r"npm", r"npx", r"api", r"server", r"backend",
        r"key", r"keys", r"plan", r"plans", r"billing", r"invoice\w*", r"price\w*", r"pricing", r"cost\w*",
        r"subscription\w*", r"account\w*", r"email", r"e-mail", r"data", r"limit\w*", r"cancel\w*", r"download\w*",
        r"crash\w*", r"error\w*", r"flag", r"option", r"setting\w*", r"docs?", r"documentation", r"method",
        r"function", r"event", r"listener", r"screen", r"modal", r"button", r"ci", r"github", r"supabase",
        r"firebase", r"react", r"angular", r"vue", r"svelte", r"nuxt", r"next\.?js", r"typescript", r"javascript",
        r"store", r"testflight", r"emulator", r"simulator", r"beta", r"production", r"staging", r"release\w*",
        r"native", r"webview", r"residency", r"gdpr", r"privacy", r"secure", r"security", r"token", r"auth\w*",
    ),
    "fr": (r"compte", r"facture", r"abonnement", r"bouton", r"clé", r"données", r"testeurs?"),
    "es": (r"cuenta", r"factura", r"suscripci\w+", r"botón", r"clave", r"datos", r"límite", r"consola"),
    "it": (r"account", r"fattura", r"abbonamento", r"pulsante", r"chiave", r"dati", r"dispositiv\w+", r"lista"),
    "de": (r"konto", r"rechnung", r"abo", r"schaltfläche", r"schlüssel", r"daten", r"nutzer", r"emulatoren",
           r"datenschutz\w*", r"server"),
    "pt": (r"conta", r"fatura", r"assinatura", r"botão", r"chave", r"dados", r"limite", r"plano"),
    "id": (r"akun", r"kode", r"tagihan", r"langganan", r"tombol", r"kunci", r"data"),
    "zh": ("代码", "配置", "登录", "安卓", "账号", "账户", "套餐", "上传", "下载", "用户", "微信", "分享", "密钥"),
}

# ---------------------------------------------------------------------------------------------------------------
# Details: steps to reproduce.
# ---------------------------------------------------------------------------------------------------------------
STEP_HEADER: Lexicon = {
    "en": (r"steps?(?: to reproduce| to repro)?\s*:", r"to reproduce\s*:", r"repro(?:duction)?(?: steps)?\s*:",
           r"what i did\s*:", r"how to reproduce\s*:?", r"reproduction steps"),
    "fr": (r"étapes(?: pour reproduire)?\s*:", r"pour reproduire\s*:", r"ce que j'ai fait\s*:"),
    "es": (r"pasos(?: para reproducir)?\s*:", r"para reproducir\s*:", r"lo que hice\s*:"),
    "it": (r"passaggi(?: per riprodurre)?\s*:", r"passi(?: per riprodurre)?\s*:", r"per riprodurre\s*:", r"cosa ho fatto\s*:"),
    "de": (r"schritte(?: zum reproduzieren)?\s*:", r"zum reproduzieren\s*:", r"was ich gemacht habe\s*:"),
    "pt": (r"passos(?: para reproduzir)?\s*:", r"para reproduzir\s*:", r"o que eu fiz\s*:"),
    "id": (r"langkah(?:-langkah)?(?: reproduksi)?\s*:", r"cara reproduksi\s*:"),
    "zh": ("复现步骤", "重现步骤", "步骤[:：]", "操作步骤"),
}

# Deliberate user actions, any person / form. Deliberately absent: "update", "apply", "download" (the app does them).
STEP_ACTIONS: Lexicon = {
    "en": (
        r"re-?upload(?:s|ed|ing)?", r"upload(?:s|ed|ing)?", r"kill(?:s|ed|ing)?", r"force[- ]?(?:close|quit)\w*",
        r"clos(?:e|es|ed|ing)", r"re-?open(?:s|ed|ing)?", r"open(?:s|ed|ing)?", r"restart(?:s|ed|ing)?",
        r"relaunch(?:es|ed|ing)?", r"launch(?:es|ed|ing)?", r"call(?:s|ed|ing)?", r"run(?:s|ning)?", r"ran",
        r"click(?:s|ed|ing)?", r"tap(?:s|ped|ping)?", r"press(?:es|ed|ing)?", r"re-?install(?:s|ed|ing)?",
        r"uninstall(?:s|ed|ing)?", r"install(?:s|ed|ing)?", r"re-?buil[dt](?:s|ing)?", r"buil[dt](?:s|ing)?",
        r"sync(?:s|ed|ing)?", r"add(?:s|ed|ing)?", r"remov(?:e|es|ed|ing)", r"delet(?:e|es|ed|ing)",
        r"deploy(?:s|ed|ing)?", r"push(?:es|ed|ing)?", r"switch(?:es|ed|ing)?", r"put(?:s|ting)?", r"bring(?:s|ing)?",
        r"brought", r"set(?:s|ting)?", r"chang(?:e|es|ed|ing)", r"enabl(?:e|es|ed|ing)", r"disabl(?:e|es|ed|ing)",
        r"creat(?:e|es|ed|ing)", r"generat(?:e|es|ed|ing)", r"navigat(?:e|es|ed|ing)", r"went", r"sen[dt](?:s|ing)?",
        r"log(?:ged|ging)? (?:in|out)", r"sign(?:ed|ing)? (?:in|out)", r"tried", r"try(?:ing)?", r"test(?:s|ed|ing)?",
        r"configur(?:e|es|ed|ing)", r"execut(?:e|es|ed|ing)", r"start(?:s|ed|ing)?", r"publish(?:es|ed|ing)?",
        r"background(?:ed|ing)?", r"foreground(?:ed|ing)?", r"minimi[sz](?:e|ed|ing)", r"clear(?:s|ed|ing)?",
        r"wait(?:s|ed|ing)?", r"select(?:s|ed|ing)?", r"assign(?:s|ed|ing)?", r"resum(?:e|ed|ing)",
    ),
    "fr": (
        r"lanc(?:e|é|er|ant|ons)", r"relanc(?:e|é|er)", r"ferm(?:e|é|er|ant|ons)", r"ouv(?:re|ert|rir|rant)",
        r"rouv(?:re|ert|rir)", r"upload(?:e|é|er|ant)", r"télévers(?:e|é|er)", r"envo(?:ie|yé|yer)",
        r"appel(?:le|é|er|ant)", r"install(?:e|é|er)", r"désinstall(?:e|é|er)", r"redémarr(?:e|é|er|age)",
        r"cliqu(?:e|é|er)", r"tap(?:e|é|er)", r"appui(?:e|é|er)", r"compil(?:e|é|er)", r"build(?:e|é|er)",
        r"exécut(?:e|é|er)", r"déploi(?:e|é)", r"déploy(?:é|er)", r"pouss(?:e|é|er)", r"publi(?:e|é|er)",
        r"ajout(?:e|é|er)", r"supprim(?:e|é|er)", r"mets", r"mis", r"mettre", r"pass(?:e|é|er) en arrière-plan",
        r"teste", r"testé", r"tester", r"essa(?:ie|yé|yer)", r"cré(?:e|é|er)", r"activ(?:e|é|er)", r"tu(?:e|é|er)",
        r"synchronis(?:e|é|er)", r"reviens", r"reviens", r"revenir", r"attends", r"attendu",
    ),
    "es": (
        r"sub(?:o|í|ir|iendo|imos)", r"abr(?:o|í|ir|iendo|imos)", r"cierr(?:o)", r"cerr(?:é|ar|ando|amos)",
        r"llam(?:o|é|ar|ando|amos)", r"ejecut(?:o|é|ar|ando)", r"instal(?:o|é|ar|ando)", r"desinstal(?:o|é|ar)",
        r"prueb(?:o)", r"prob(?:é|ar|ando)", r"toc(?:o|ar|ando)", r"toqué", r"puls(?:o|é|ar|ando)",
        r"reinici(?:o|é|ar|ando)", r"mat(?:o|é|ar|ando)", r"compil(?:o|é|ar|ando)", r"despli(?:ego|egué|egar|egando)",
        r"envi(?:o|é|ar|ando)", r"agreg(?:o|ué|ar|ando)", r"añad(?:o|í|ir|iendo)", r"borr(?:o|é|ar|ando)",
        r"elimin(?:o|é|ar|ando)", r"configur(?:o|é|ar|ando)", r"activ(?:o|é|ar|ando)", r"lanc(?:é|ar)",
        r"lanzo", r"vuelvo a", r"volví a", r"volver a abrir\w*", r"hice", r"pongo", r"puse", r"espero", r"esper(?:é|ar)",
    ),
    "it": (
        r"caric(?:o|ato|are|ando)", r"chiud(?:o|ere|endo)", r"chius[oa]", r"apr(?:o|ire|endo)", r"apert[oa]",
        r"riapr(?:o|ire|endo)", r"riapert[oa]", r"chiam(?:o|ato|are|ando)", r"lanci(?:o|ato|are|ando)",
        r"install(?:o|ato|are|ando)", r"riavvi(?:o|ato|are|ando)", r"prem(?:o|uto|ere)", r"clicc(?:o|ato|are)",
        r"esegu(?:o|ito|ire)", r"compil(?:o|ato|are)", r"pubblic(?:o|ato|are)", r"aggiun(?:go|to|gere)",
        r"rimuov(?:o|ere)", r"rimoss[oa]", r"cancell(?:o|ato|are)", r"prov(?:o|ato|are)", r"test(?:o|ato|are)",
        r"impost(?:o|ato|are)", r"attiv(?:o|ato|are)", r"cre(?:o|ato|are)", r"invi(?:o|ato|are)",
        r"mand(?:o|ato|are)", r"uccid(?:o|ere)", r"fatto", r"faccio", r"metto", r"messo", r"aspett(?:o|ato)",
    ),
    "de": (
        r"lade", r"hochgeladen", r"hochladen", r"schließe", r"geschlossen", r"schließen", r"öffne", r"geöffnet",
        r"öffnen", r"starte", r"gestartet", r"neu starten", r"neustarten", r"rufe", r"aufgerufen", r"aufrufen",
        r"installiere", r"installiert", r"klicke", r"geklickt", r"tippe", r"getippt", r"drücke", r"gedrückt",
        r"baue", r"gebaut", r"deploye", r"deployed", r"pushe", r"gepusht", r"füge", r"hinzugefügt", r"lösche",
        r"gelöscht", r"entferne", r"entfernt", r"setze", r"gesetzt", r"aktiviere", r"aktiviert", r"teste",
        r"getestet", r"probiere", r"probiert", r"führe", r"ausgeführt", r"beende", r"beendet", r"kille", r"gekillt",
        r"wechsle", r"gewechselt", r"schicke", r"geschickt", r"warte", r"gewartet", r"synchronisiere",
    ),
    "pt": (
        r"sub(?:o|i|ir|indo|imos)", r"abr(?:o|i|ir|indo|imos)", r"fech(?:o|ei|ar|ando|amos)", r"cham(?:o|ei|ar|ando)",
        r"rod(?:o|ei|ar|ando)", r"execut(?:o|ei|ar|ando)", r"instal(?:o|ei|ar|ando)", r"desinstal(?:o|ei|ar)",
        r"cliq(?:uei|ar|ando)", r"clico", r"toqu(?:ei)", r"toc(?:o|ar|ando)", r"apert(?:o|ei|ar|ando)",
        r"mand(?:o|ei|ar|ando)", r"envi(?:o|ei|ar|ando)", r"test(?:o|ei|ar|ando)", r"reinici(?:o|ei|ar|ando)",
        r"mat(?:o|ei|ar|ando)", r"compil(?:o|ei|ar|ando)", r"coloq(?:uei)", r"coloc(?:o|ar|ando)",
        r"adicion(?:o|ei|ar|ando)", r"remov(?:o|i|er|endo)", r"apag(?:o|uei|ar|ando)", r"ativ(?:o|ei|ar|ando)",
        r"configur(?:o|ei|ar|ando)", r"volt(?:o|ei|ar|ando)", r"tent(?:o|ei|ar|ando)", r"public(?:o|ar|ando)",
        r"publiquei", r"ger(?:o|ei|ar)", r"cri(?:o|ei|ar)", r"troq(?:uei)", r"mud(?:o|ei|ar)", r"fiz", r"faço",
        r"espero", r"esperei",
    ),
    "id": (
        r"panggil", r"manggil", r"dipanggil", r"upload", r"ngupload", r"diupload", r"buka(?:-tutup)?", r"ngebuka",
        r"tutup", r"nutup", r"restart", r"install", r"instal", r"klik", r"pencet", r"tekan", r"jalan(?:in|kan)",
        r"run", r"build", r"deploy", r"push", r"hapus", r"tambah(?:in|kan)?", r"set", r"ganti", r"bikin", r"buat",
        r"kirim", r"coba", r"tes", r"test", r"matiin", r"matikan", r"kill", r"login", r"pindah", r"masuk(?:in)?",
        r"keluar", r"tunggu", r"nunggu", r"close", r"open",
    ),
    "zh": (
        "调用", "上传", "打开", "关闭", "杀掉", "杀死", "关掉", "划掉", "重启", "重新打开", "重新启动", "安装", "卸载", "点击", "点了",
        "运行", "执行", "构建", "打包", "发布", "部署", "切到", "切换到", "切回", "放到后台", "退到后台", "设置了", "删除",
        "添加", "配置", "登录", "等待", "等了",
    ),
}

# First-person narration of actions ("I call it", "je lance", "ho fatto", "aku panggil", "我在设置页调用").
STEP_FIRST_PERSON: Lexicon = {
    "en": (
        r"(?:i|we)(?:'ve| have| had| then| just| first| also| always| now| again| simply| manually)* (?:{A})",
        r"(?:i'?m|i am|we'?re|we are) (?:{A})", r"after (?:i|we) (?:{A})", r"when (?:i|we) (?:{A})",
    ),
    "fr": (r"(?:je|j'|on a|nous)(?:\s*(?:ai|avons|l'|le|la|les|lui|me|m'|puis|ensuite))*\s*(?:{A})",),
    "es": (
        r"sub[oí]", r"abr[oí]", r"cierro", r"cerré", r"llam[oé]", r"ejecut[oé]", r"instal[oé]", r"pruebo", r"probé",
        r"toco", r"toqué", r"puls[oé]", r"reinici[oé]", r"compil[oé]", r"despliego", r"desplegué", r"envío", r"envié",
        r"agrego", r"agregué", r"añad[oí]", r"borr[oé]", r"elimin[oé]", r"hice", r"vuelvo a", r"volví a", r"lanzo",
        r"lancé", r"puse", r"pongo",
    ),
    "it": (r"(?:ho|abbiamo)\s+(?:\w+\s+)?(?:{A})", r"(?:io|poi)\s+(?:{A})", r"carico", r"chiudo", r"riapro", r"apro",
           r"chiamo", r"lancio", r"installo", r"riavvio", r"premo", r"clicco", r"eseguo", r"faccio"),
    "de": (r"ich(?:\s+\w+){0,3}\s+(?:{A})", r"wir(?:\s+\w+){0,3}\s+(?:{A})", r"nachdem ich"),
    "pt": (
        r"subo", r"subi", r"abro", r"abri", r"fecho", r"fechei", r"chamo", r"chamei", r"rodo", r"rodei", r"executo",
        r"executei", r"instalo", r"instalei", r"cliquei", r"clico", r"toquei", r"mandei", r"enviei", r"testei",
        r"reiniciei", r"compilei", r"coloquei", r"adicionei", r"removi", r"apaguei", r"ativei", r"configurei",
        r"voltei", r"tentei", r"publiquei", r"gerei", r"criei", r"fiz", r"eu (?:{A})",
    ),
    "id": (r"(?:aku|saya|gue|gw|gua|kami|kita)\s+(?:udah\s+|sudah\s+|coba\s+|lalu\s+|terus\s+|baru\s+|abis\s+)?(?:{A})",),
    "zh": ("我(?:们)?(?:在|先|就|又|再|刚|已经)?[^，。,.!?！？\n]{0,12}?(?:{A})",),
}

# Sequencing words between actions.
STEP_SEQUENCE: Lexicon = {
    "en": (r"then", r"and then", r"afterwards?", r"after that", r"next", r"followed by", r"finally", r"once"),
    "fr": (r"puis", r"ensuite", r"après ça", r"et après", r"une fois", r"enfin"),
    "es": (r"luego", r"después", r"y luego", r"entonces", r"tras", r"finalmente"),
    "it": (r"poi", r"dopo", r"e poi", r"quindi", r"infine"),
    "de": (r"dann", r"danach", r"anschließend", r"und dann", r"sobald", r"nachdem"),
    "pt": (r"depois", r"então", r"aí", r"em seguida", r"e depois", r"após"),
    "id": (r"terus", r"trus", r"lalu", r"kemudian", r"habis itu", r"abis itu", r"setelah itu", r"abis", r"habis", r"setelah"),
    "zh": ("然后", "再", "之后", "接着", "随后", "后(?!台|端|面|来)"),
}

# "after + action": a single deliberate action placed before the symptom counts as a reproduction step.
STEP_AFTER: Lexicon = {
    "en": (r"(?:right |just )?(?:after|once|before) (?:i |we )?(?:{A})",),
    "fr": (r"après (?:avoir )?(?:{A})", r"(?:une fois|dès que) (?:j'ai|on a) (?:{A})", r"en (?:{A})"),
    "es": (r"(?:después de|tras|luego de|al) (?:{A})",),
    "it": (r"dopo (?:aver(?:e)? )?(?:{A})",),
    "de": (r"nachdem ich", r"nach dem (?:hochladen|schließen|öffnen|neustart|aufruf|login|starten|installieren)"),
    "pt": (r"(?:depois de|após|ao) (?:{A})",),
    "id": (r"(?:abis|habis|setelah|sesudah|pas|begitu) (?:{A})",),
    "zh": ("(?:{A})[^，。,.!?！？\n]{0,12}(?:后(?!台|端|面)|之后|以后)",),
}

# ---------------------------------------------------------------------------------------------------------------
# Routes: requests only a human on the team can act on.
# ---------------------------------------------------------------------------------------------------------------
ROUTE_BILLING: Lexicon = {
    "en": (
        r"invoices?", r"receipts?", r"refund\w*", r"money back", r"chargeback",
        r"(?:charged|billed)(?: me| us)? (?:twice|again|after|even though|when|but|despite|for|although|without)",
        r"double[- ]charged", r"(?:got|were|was|been|being|still) (?:charged|billed)",
        r"(?:payment|card|charge)\b[^.!?\n]{0,25}\b(?:declined|rejected|refused|failed|failing|fails|bounced)",
        r"bank transfer", r"wire transfer", r"purchase order", r"po number", r"pay by (?:invoice|transfer|wire|check|cheque)",
        r"vat (?:number|id)", r"tax id",
        r"(?:can|could) you (?:please )?(?:downgrade|upgrade|change|switch|cancel|pause) (?:my|our) (?:plan|subscription)",
        r"(?:please )?cancel (?:my|our) subscription", r"subscription (?:expired|suspended|lapsed|cancelled|canceled)",
    ),
    "fr": (
        r"factures?", r"rembours\w*", r"(?:prélevé|débité|facturé)s?\b[^.!?\n]{0,25}(?:après|deux fois|alors|malgré)",
        r"(?:paiement|carte)\b[^.!?\n]{0,25}\b(?:refusée?|rejetée?|échoué|a échoué|décliné)", r"virement", r"bon de commande",
        r"numéro de tva", r"tva intracom\w*", r"abonnement (?:expiré|suspendu|résilié)",
    ),
    "es": (
        r"facturas?", r"reembols\w*", r"devoluci[oó]n (?:del dinero|del cobro)", r"devuelvan",
        r"(?:cobrad[oa]s?|me cobraron|nos cobraron)\b[^.!?\n]{0,25}(?:después|dos veces|aunque|sin|tras)",
        r"(?:pago|tarjeta)\b[^.!?\n]{0,25}\b(?:rechazad[oa]|declinad[oa]|fallid[oa]|falló)", r"transferencia bancaria",
        r"orden de compra", r"nif", r"suscripci[oó]n (?:vencida|expirada|suspendida)",
    ),
    "it": (
        r"fattur[ae]", r"rimbors\w*", r"addebitat\w*", r"(?:pagamento|carta)\b[^.!?\n]{0,30}\b(?:rifiutat[oa]|respint[oa]|fallit[oa]|non (?:è )?andat[oa])",
        r"bonifico", r"ordine d'acquisto", r"partita iva", r"abbonamento (?:risulta )?(?:scaduto|sospeso)", r"saldare",
    ),
    "de": (
        r"rechnung(?:en)?", r"rückerstatt\w*", r"erstatt\w*", r"geld zurück", r"abgebucht", r"doppelt (?:belastet|berechnet)",
        r"(?:zahlung|karte)\b[^.!?\n]{0,25}\b(?:fehlgeschlagen|abgelehnt)", r"überweisung", r"bestellschein",
        r"auf rechnung", r"ust-?id\w*", r"abo(?:nnement)? (?:abgelaufen|gesperrt)",
    ),
    "pt": (
        r"faturas?", r"nota fiscal", r"reembols\w*", r"estorn\w*", r"devolução do (?:dinheiro|valor)",
        r"(?:fui|fomos) cobrad[oa]s?", r"cobraram", r"cobrança (?:indevida|duplicada)",
        r"(?:pagamento|cartão)\b[^.!?\n]{0,25}\b(?:recusad[oa]|negad[oa]|falhou|rejeitad[oa])", r"transferência bancária",
        r"boleto", r"ordem de compra", r"pedido de compra", r"cnpj", r"assinatura (?:vencida|expirada|suspensa)",
    ),
    "id": (
        r"invoice", r"faktur", r"kwitansi", r"refund", r"pengembalian dana", r"balikin (?:uang|dana)", r"ditagih",
        r"(?:ke|ter)potong", r"(?:pembayaran|kartu)\b[^.!?\n]{0,25}\b(?:gagal|ditolak)", r"transfer bank", r"npwp",
        r"langganan (?:habis|expired|berakhir)",
    ),
    "zh": ("发票", "收据", "退款", "退钱", "扣费", "扣款", "多扣", "被扣", "(?:支付|付款|信用卡).{0,6}(?:失败|被拒)", "银行转账",
           "对公转账", "采购订单", "税号"),
}
# How-to questions about billing documents are answered by the docs ("where do I download my invoices?").
ROUTE_BILLING_HOWTO: Lexicon = {
    "en": (r"(?:where|how) (?:do|can) (?:i|we) (?:find|see|download|get|access|view) (?:my |our |the )?(?:invoices?|receipts?)",),
    "fr": (r"où (?:trouver|télécharger|voir) (?:mes |les )?factures",),
    "es": (r"dónde (?:encuentro|descargo|veo) (?:mis |las )?facturas",),
    "it": (r"dove (?:trovo|scarico|vedo) (?:le )?fatture",),
    "de": (r"wo finde ich (?:meine |die )?rechnungen",),
    "pt": (r"onde (?:encontro|baixo|vejo) (?:minhas |as )?faturas",),
    "id": (r"(?:di ?mana|gimana cara) (?:lihat|download|unduh) (?:invoice|tagihan)",),
    "zh": ("(?:在哪|哪里|怎么)(?:下载|查看|找到?)发票",),
}

ROUTE_ACCOUNT: Lexicon = {
    "en": (
        r"locked out", r"lost (?:access|my access) to (?:my |our |the )?(?:account|e-?mail|mailbox|inbox|2fa|authenticator)",
        r"(?:lost|reset|disable|remove) (?:my |the )?(?:2fa|two[- ]factor|mfa|authenticator)",
        r"no (?:longer )?(?:have )?access to (?:my |our |the )?(?:account|e-?mail|mailbox|inbox)",
        r"(?:change|update|modify|replace) (?:the |my |our )?(?:account |login )?e-?mail(?: address)?"
        r"(?! templates?| notifications?| alerts?| settings| reports?)",
        r"e-?mail (?:on|of|for) (?:my|our) account", r"(?:delete|remove|close|erase) (?:my|our|the) (?:\w+ )?accounts?\b",
        r"(?:delete|remove|erase) (?:all )?(?:my|our) (?:personal )?data",
        r"account (?:deletion|removal|closure)", r"(?:gdpr|ccpa)\b[^.!?\n]{0,40}(?:delet\w+|eras\w+|request|remov\w+)",
        r"(?:delet\w+|eras\w+|remov\w+)\b[^.!?\n]{0,40}\bgdpr", r"right to (?:be forgotten|erasure)",
        r"transfer\w* (?:the |of )?(?:ownership|org(?:ani[sz]ation)?|owner)", r"ownership (?:of|transfer)",
        r"change (?:the )?(?:org(?:ani[sz]ation)? )?owner", r"new owner",
        r"(?:move|transfer|migrate|moved)\b[^.!?\n]{0,40}\bapps?\b[^.!?\n]{0,40}\b(?:orgs?|organi[sz]ations?)\b",
        r"apps?\b[^.!?\n]{0,20}\b(?:moved|transferred|migrated)\b[^.!?\n]{0,40}\b(?:orgs?|organi[sz]ations?)\b",
        r"(?:from|out of) (?:my|our|one|the|a) (?:\w+ )?(?:orgs?|organi[sz]ations?) (?:in)?to (?:my|our|another|the|a) (?:\w+ )?"
        r"(?:orgs?|organi[sz]ations?)",
        r"merge (?:\w+ ){0,2}accounts?", r"(?:two|2|duplicate) accounts\b[^?!]{0,60}\b(?:merge|combine|unify)",
        r"(?:can'?t|cannot|unable to) (?:log ?in|sign ?in|access)(?: to| into)? (?:my|our) (?:capgo )?account",
    ),
    "fr": (
        r"(?:perdu|plus) (?:l'|d')?accès (?:à|au) (?:mon |notre |l')?(?:compte|e-?mail|adresse|boîte)",
        r"(?:changer|modifier) (?:l'|mon |d')?(?:adresse )?(?:e-?mail|mail|courriel)",
        r"(?:supprimer|fermer|effacer) (?:mon|notre) compte", r"suppression (?:de|du) (?:mon |notre )?compte", r"rgpd",
        r"transférer (?:la propriété|l'organisation|l'orga)", r"changer (?:le |de )?propriétaire",
        r"(?:déplacer|transférer|migrer)\b[^.!?\n]{0,40}\bapp\w*\b[^.!?\n]{0,40}\b(?:org\w*)", r"fusionner (?:\w+ ){0,2}comptes",
        r"(?:deux|2) comptes\b[^?!]{0,60}\bfusion\w*",
    ),
    "es": (
        r"perd[ií] (?:el )?acceso", r"no (?:puedo|podemos) (?:entrar|acceder) a (?:mi|nuestra) cuenta",
        r"cambiar (?:el |mi )?(?:correo|e-?mail|email)", r"(?:borrar|eliminar|cerrar) (?:mi|nuestra) cuenta",
        r"transferir (?:la )?(?:propiedad|organizaci[oó]n)", r"cambiar (?:el )?(?:dueño|propietario)",
        r"(?:mover|transferir|pasar)\b[^.!?\n]{0,40}\bapps?\b[^.!?\n]{0,40}\b(?:org\w*)", r"(?:fusionar|unir|unificar) (?:\w+ ){0,2}cuentas",
        r"(?:dos|2) cuentas\b[^?!]{0,60}\b(?:fusion|unir|unific)\w*",
    ),
    "it": (
        r"perso l'accesso", r"non (?:riesco|riusciamo) (?:più )?ad? accedere al (?:mio |nostro )?account",
        r"cambiare (?:la |l'|il )?(?:mail|e-?mail|indirizzo)", r"(?:cancellare|eliminare|chiudere) (?:il )?(?:mio|nostro) account",
        r"trasferire (?:la )?(?:proprietà|organizzazione)", r"cambiare (?:il )?proprietario",
        r"(?:spostare|trasferire)\b[^.!?\n]{0,40}\bapp\b[^.!?\n]{0,40}\b(?:org\w*)", r"(?:unire|unificare) (?:\w+ ){0,2}account",
        r"(?:due|2) account\b[^?!]{0,60}\b(?:unire|unificare|unirli)",
    ),
    "de": (
        r"(?:keinen )?zugriff (?:mehr )?auf (?:mein|unser|das)\w* (?:konto|account|e-?mail|postfach)", r"zugang verloren",
        r"ausgesperrt", r"e-?mail(?:-adresse)? (?:\w+ ){0,2}ändern", r"(?:konto|account)\b[^.!?\n]{0,40}\blöschen",
        r"lösch\w* (?:\w+ ){0,2}(?:konto|account)", r"dsgvo", r"(?:inhaber|eigentümer|besitzer)\w*\b[^.!?\n]{0,30}\b(?:übertragen|ändern|wechseln)",
        r"organisation übertragen", r"apps?\b[^.!?\n]{0,40}\b(?:org\w*)\b[^.!?\n]{0,30}\b(?:verschieben|übertragen|umziehen)",
        r"(?:konten|accounts) zusammen\w*", r"zwei (?:konten|accounts)\b[^?!]{0,60}\bzusammen\w*",
    ),
    "pt": (
        r"perdi (?:o )?acesso", r"não consigo (?:mais )?(?:acessar|entrar|fazer login)\b[^.!?\n]{0,30}\bconta",
        r"(?:mudar|alterar|trocar) (?:o |meu )?e-?mail", r"(?:excluir|apagar|deletar|encerrar) (?:a |minha |nossa )?conta",
        r"lgpd", r"transferir (?:a )?(?:propriedade|organização)", r"(?:mudar|trocar) (?:o )?(?:dono|proprietário)",
        r"(?:mover|transferir|passar)\b[^.!?\n]{0,40}\bapps?\b[^.!?\n]{0,40}\b(?:org\w*)", r"(?:mesclar|unificar|juntar) (?:\w+ ){0,2}contas",
        r"(?:duas|2) contas\b[^?!]{0,60}\b(?:mescl|unific|junt)\w*",
    ),
    "id": (
        r"(?:ga|gak|tidak|nggak) bisa (?:login|masuk) (?:ke )?akun", r"kehilangan akses", r"lupa (?:email|akun)",
        r"(?:ganti|ubah) email", r"hapus akun", r"(?:pindah(?:in|kan)?|transfer|alih(?:kan)?) kepemilikan", r"ganti owner",
        r"(?:pindah(?:in|kan)?|transfer)\b[^.!?\n]{0,40}\bapp\b[^.!?\n]{0,40}\b(?:org\w*)", r"gabung(?:in|kan)? (?:\w+ ){0,2}akun",
        r"(?:dua|2) akun\b[^?!]{0,60}\bgabung\w*",
    ),
    "zh": ("无法登录.{0,10}(?:账号|邮箱)", "登不上.{0,10}账号", "邮箱.{0,6}(?:不能用|无法访问|丢)", "(?:更换|修改|更改|换)邮箱",
           "(?:注销|删除)(?:账号|账户)", "转让(?:所有权|组织)", "转移(?:组织|所有权)", "合并(?:账号|账户)",
           "(?:应用|app).{0,10}(?:转移|迁移|移动)到.{0,10}组织"),
}

ROUTE_OUT_OF_SCOPE: Lexicon = {
    # (request to the team) ... (work verb) ... (the user's own code) -- three parts, see analysis._route_out_of_scope
    "en": (
        r"(?:can|could|would|will) (?:you|someone|somebody|anyone)(?: guys| please| pls| kindly)?", r"help (?:me|us) (?:to )?",
    ),
    "fr": (r"pouvez-vous", r"pourriez-vous", r"vous pouvez", r"tu peux", r"peux-tu", r"pourrais-tu", r"aidez-nous à"),
    "es": (r"pueden", r"podéis", r"podrían", r"puedes", r"podrías", r"ayúdenme a"),
    "it": (r"potete", r"potreste", r"puoi", r"potresti", r"aiutarci a"),
    "de": (r"könnt ihr", r"könntet ihr", r"können sie", r"könnten sie", r"kannst du"),
    "pt": (r"vocês podem", r"você pode", r"podem", r"poderiam", r"pode"),
    "id": (r"bisa(?:kah)?", r"tolong", r"bantu(?:in)?"),
    "zh": ("能(?:不能)?帮", "可以帮", "帮我们", "帮我", "请帮", "能否帮"),
}
OOS_WORK: Lexicon = {
    "en": (r"debug", r"fix", r"rewrite", r"re-write", r"refactor", r"write", r"implement", r"code", r"review",
           r"find", r"look (?:at|into)", r"check", r"optimi[sz]e", r"migrate", r"patch", r"port", r"convert"),
    "fr": (r"déboguer", r"débugger", r"debugger", r"corriger", r"réécrire", r"écrire", r"implémenter", r"coder",
           r"regarder", r"trouver", r"optimiser", r"migrer", r"patcher"),
    "es": (r"depurar", r"debuggear", r"arreglar", r"corregir", r"reescribir", r"escribir", r"implementar", r"programar",
           r"revisar", r"mirar", r"encontrar", r"optimizar", r"migrar", r"parchear"),
    "it": (r"debuggare", r"sistemare", r"correggere", r"riscrivere", r"scrivere", r"implementare", r"guardare",
           r"trovare", r"ottimizzare", r"migrare", r"patchare"),
    "de": (r"debuggen", r"fixen", r"reparieren", r"umschreiben", r"neu schreiben", r"schreiben", r"implementieren",
           r"anschauen", r"ansehen", r"finden", r"optimieren", r"migrieren", r"patchen"),
    "pt": (r"debugar", r"depurar", r"corrigir", r"consertar", r"reescrever", r"escrever", r"implementar", r"olhar",
           r"achar", r"encontrar", r"otimizar", r"migrar"),
    "id": (r"debug(?:in)?", r"benerin", r"perbaiki", r"tulis(?:in)?", r"bikin(?:in)?", r"buatin", r"cek(?:in)?",
           r"lihat(?:in)?", r"liatin", r"cari(?:in)?", r"optimasi"),
    "zh": ("调试", "修复", "修一下", "重写", "写", "实现", "看看", "看一下", "找", "优化", "迁移"),
}
OOS_OBJECT: Lexicon = {
    "en": (
        r"(?:our|my) (?:own )?(?:\w+ ){0,2}(?:code|codebase|component|components|class|hooks?|service|store|reducers?|"
        r"webpack|vite|rollup|babel|build|backend|endpoint|server|project|frontend|ui|css|layout|repo|function|app'?s? code)",
        r"memory leak", r"backend endpoint", r"redux", r"react hooks", r"class component", r"webpack", r"happy to paste",
        r"(?:paste|send) (?:you )?(?:the|our|my) code", r"third[- ]party (?:lib|library|package|plugin)",
        r"(?:open[- ]source|npm) (?:lib|library|package)", r"(?:django|laravel|express|rails|spring) ",
    ),
    "fr": (r"(?:notre|mon) (?:\w+ )?(?:code|composant|projet|backend|build|webpack|serveur)", r"fuite mémoire",
           r"librairie tierce", r"bibliothèque tierce"),
    "es": (r"(?:nuestro|mi) (?:\w+ )?(?:código|componente|proyecto|backend|build|webpack|servidor)", r"fuga de memoria",
           r"librería de terceros"),
    "it": (r"(?:il )?(?:nostro|mio) (?:\w+ )?(?:codice|componente|progetto|backend|build|webpack|server)", r"memory leak",
           r"libreria di terze parti"),
    "de": (r"unser\w* (?:\w+-)?(?:code|komponente|projekt|backend|build|webpack\S*|server)", r"webpack", r"speicherleck",
           r"drittanbieter"),
    "pt": (r"(?:nosso|meu) (?:\w+ )?(?:código|componente|projeto|backend|build|webpack|servidor)", r"vazamento de memória",
           r"biblioteca de terceiros"),
    "id": (r"(?:kode|code|project|proyek|backend|komponen)\s?(?:kami|kita|aku|saya|gue)", r"memory leak"),
    "zh": ("(?:react|vue|angular|前端|我们的)\\s*项目", "代码(?:可以)?发给你们", "我们的代码", "后端接口", "内存泄漏", "卡顿", "页面切换"),
}

ROUTE_INCIDENT_DIRECT: Lexicon = {
    "en": (
        r"(?:is|are) (?:capgo|it|the (?:api|dashboard|console|service|site|backend|server|servers|website|cloud|platform|web ?app)|"
        r"everything|things|you guys|your (?:api|servers?|backend|service))(?: \w+)? down\b", r"down for every(?:one|body)",
        r"is there an? (?:incident|outage)", r"outage", r"status page", r"service (?:is )?down", r"capgo (?:is )?down",
        r"api (?:is )?down", r"is something going on(?! with my)", r"something (?:wrong|going on) (?:with|on) (?:the |your )?(?:backend|api|servers?|side|end)",
    ),
    "fr": (r"(?:est|sont) (?:en panne|down|hs|tombée?s?)", r"panne", r"incident en cours", r"(?:souci|problème|incident) chez vous",
           r"(?:souci|problème) (?:côté serveur|de votre côté)"),
    "es": (r"(?:está|estan|están) caíd[oa]s?", r"se cayó (?:capgo|el servidor|la api|el servicio|el dashboard|la consola)", r"hay (?:una )?(?:incidencia|caída)", r"caída del servicio",
           r"problema (?:de su lado|en sus servidores|con sus servidores)"),
    "it": (r"è giù", r"è down", r"down per tutti", r"disservizio", r"problema (?:da voi|lato vostro|sui vostri server)"),
    "de": (r"ist (?:capgo |die api |das dashboard |alles )?down", r"störung", r"ausfall", r"(?:problem|probleme) bei euch",
           r"liegt (?:es|das) an euch"),
    "pt": (r"(?:está|tá|ta) fora do ar", r"(?:capgo|o servidor|a api|o serviço|o dashboard|o painel|o console) caiu",
           r"caiu (?:pra|para) todo mundo", r"instabilidade", r"problema (?:do lado de vocês|nos servidores|com os servidores)"),
    "id": (r"(?:lagi )?down (?:ya|kah|ga|gak)", r"server(?:nya)? (?:capgo )?(?:lagi )?(?:down|mati|error)", r"gangguan"),
    "zh": ("(?:服务|服务器|后台|官网|控制台|capgo|api).{0,4}挂了", "宕机", "服务(?:器)?(?:异常|故障|挂)", "是不是挂了", "服务故障"),
}
ROUTE_INCIDENT_TEAM: Lexicon = {
    "en": (r"for every(?:one|body)", r"for (?:the )?whole team", r"whole team", r"entire team", r"all of us",
           r"(?:my |our )?(?:teammates?|colleagues?|coworkers?)\b[^.!?\n]{0,30}\b(?:same|too|also)", r"several (?:people|users|of us|devs)",
           r"multiple (?:people|orgs|teams|accounts|devs)", r"different (?:orgs|organi[sz]ations|accounts|teams)",
           r"everyone (?:on|in) (?:my|our) team", r"nobody (?:on|in) (?:my|our) team", r"both (?:our|my) ci and"),
    "fr": (r"toute l'équipe", r"tout le monde", r"pour tous", r"plusieurs (?:personnes|collègues)", r"personne dans l'équipe"),
    "es": (r"todo el equipo", r"a todos", r"nadie (?:de|en) (?:mi|nuestro) equipo", r"todos (?:nos|tenemos)", r"varias personas"),
    "it": (r"tutto il team", r"per tutti", r"tutti (?:noi|i colleghi)", r"nessuno (?:del|nel) team", r"più persone"),
    "de": (r"das ganze team", r"für alle", r"alle (?:bei uns|kollegen)", r"niemand (?:im|aus dem) team", r"mehrere (?:leute|kollegen)"),
    "pt": (r"todo mundo", r"toda a equipe", r"todo o time", r"pra todos", r"para todos", r"ninguém (?:do|da|no|na) (?:time|equipe)"),
    "id": (r"semua (?:orang|tim|anggota)", r"satu tim", r"tim (?:aku|saya|kami) juga", r"temen(?:-temen)? juga"),
    "zh": ("所有人", "整个团队", "大家都", "同事也", "团队都"),
}
ROUTE_INCIDENT_SIDE: Lexicon = {
    "en": (r"on your (?:side|end)", r"with (?:the |your )?(?:backend|api|servers?)", r"from the api", r"the api returns"),
    "fr": (r"chez vous", r"de votre côté", r"côté serveur"),
    "es": (r"de su lado", r"de vuestro lado", r"del servidor"),
    "it": (r"da voi", r"lato vostro", r"lato server"),
    "de": (r"bei euch", r"serverseitig"),
    "pt": (r"do lado de vocês", r"com vocês", r"do servidor"),
    "id": (r"di sisi (?:kalian|capgo|server)", r"dari server"),
    "zh": ("你们那边", "服务端", "服务器"),
}

ROUTE_ESCALATE_EXPLICIT: Lexicon = {
    "en": (
        r"official (?:support|ticket|channel)", r"support ticket", r"(?:open|create|file|raise|submit) (?:a |an )?(?:support |urgent |priority )?ticket",
        r"direct (?:contact|line)", r"contact (?:with )?(?:your |the )?(?:support|team) directly", r"(?:need|want) to (?:talk|speak) (?:to|with) (?:someone|a human|support|the team)",
        r"(?:need|want|get|have) someone from (?:the|your) team", r"not (?:the )?community(?: help| support)?", r"priority support",
        r"sev ?[01]\b", r"severity ?[01]\b", r"\bp[01] (?:incident|issue)", r"escalat\w+",
    ),
    "fr": (r"support officiel", r"ticket (?:de support|officiel)", r"ouvrir un ticket", r"contact direct",
           r"parler (?:à|avec) (?:quelqu'un de l'équipe|le support|un humain)", r"support prioritaire"),
    "es": (r"soporte oficial", r"(?:abrir|crear) un ticket", r"ticket de soporte", r"contacto directo",
           r"hablar con (?:soporte|el soporte|alguien del equipo|un humano)", r"soporte prioritario"),
    "it": (r"supporto ufficiale", r"(?:aprire|creare) un ticket", r"ticket (?:di supporto|ufficiale)", r"contatto diretto",
           r"parlare con (?:il supporto|qualcuno del team|una persona)", r"supporto prioritario"),
    "de": (r"offiziell\w* (?:support|ticket)", r"ticket (?:eröffnen|aufmachen|erstellen)", r"support-?ticket", r"direkte\w* kontakt",
           r"mit (?:dem support|jemandem aus dem team) sprechen", r"priorisierte\w* support"),
    "pt": (r"suporte oficial", r"(?:abrir|criar) um ticket", r"ticket de suporte", r"contato direto",
           r"falar com (?:o suporte|alguém do time|alguém da equipe|um humano)", r"suporte prioritário"),
    "id": (r"support resmi", r"tiket (?:support|resmi|dukungan)", r"buka tiket", r"kontak langsung", r"ngobrol (?:sama|dengan) tim"),
    "zh": ("官方支持", "工单", "人工客服", "直接联系", "联系官方", "升级处理"),
}
ROUTE_ESCALATE_TIER: Lexicon = {
    "en": (r"paying customer", r"paid (?:customer|plan)", r"(?:team|enterprise|maker|pay as you go)[- ](?:plan|customer|tier|subscription|client)",
           r"(?:on|plan|customer)\W{0,3}(?:team|enterprise|maker)\b", r"enterprise"),
    "fr": (r"clients? (?:team|enterprise|maker|payants?)", r"plan (?:team|enterprise|maker)"),
    "es": (r"clientes? (?:de pago|team|enterprise|maker)", r"plan (?:team|enterprise|maker)"),
    "it": (r"clienti? (?:paganti?|team|enterprise|maker)", r"piano (?:team|enterprise|maker)"),
    "de": (r"(?:enterprise|team|maker)-?kunde\w*", r"zahlende\w* kunde\w*", r"(?:team|enterprise|maker)-?plan"),
    "pt": (r"clientes? (?:pagantes?|team|enterprise|maker)", r"plano (?:team|enterprise|maker)"),
    "id": (r"pelanggan (?:berbayar|team|enterprise|maker)", r"paket (?:team|enterprise|maker)"),
    "zh": ("付费客户", "企业版", "团队版", "付费用户"),
}
ROUTE_ESCALATE_URGENT: Lexicon = {
    "en": (r"urgent\w*", r"asap", r"critical", r"production (?:incident|outage|down)", r"sev ?[0-2]\b", r"blocker"),
    "fr": (r"urgen\w+", r"critique", r"bloquant"),
    "es": (r"urgente", r"crítico"),
    "it": (r"urgente", r"critico", r"bloccante"),
    "de": (r"dringend", r"kritisch", r"produktionsproblem"),
    "pt": (r"urgente", r"crítico"),
    "id": (r"urgent", r"mendesak", r"segera"),
    "zh": ("紧急", "加急"),
}
