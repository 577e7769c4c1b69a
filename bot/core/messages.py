"""Localised texts of the bot's replies. Placeholders are filled by bot.core.faq.render (str.format_map)."""

LANGS = ("en", "fr", "es", "it", "de", "pt", "id", "zh")

MESSAGES: dict[str, dict[str, str]] = {
    "answer.intro": {
        "en": "This should help:",
        "fr": "Ceci devrait vous aider :",
        "es": "Esto debería ayudarte:",
        "it": "Questo dovrebbe aiutarti:",
        "de": "Das sollte dir weiterhelfen:",
        "pt": "Isso deve te ajudar:",
        "id": "Semoga ini membantu:",
        "zh": "这些信息应该能帮到你：",
    },
    "answer.docs_intro": {
        "en": "The docs cover this in **{title}**:",
        "fr": "La documentation traite ce sujet dans **{title}** :",
        "es": "La documentación lo explica en **{title}**:",
        "it": "La documentazione ne parla in **{title}**:",
        "de": "Die Doku erklärt das unter **{title}**:",
        "pt": "A documentação explica isso em **{title}**:",
        "id": "Dokumentasi membahas ini di **{title}**:",
        "zh": "文档中的 **{title}** 介绍了这个问题：",
    },
    "answer.link": {
        "en": "Docs: {url}",
        "fr": "Documentation : {url}",
        "es": "Documentación: {url}",
        "it": "Documentazione: {url}",
        "de": "Doku: {url}",
        "pt": "Documentação: {url}",
        "id": "Dokumentasi: {url}",
        "zh": "文档：{url}",
    },
    "answer.footer": {
        "en": "If this helped, press **Solved**; if not, press **Not helpful**. A volunteer may still chime in.",
        "fr": (
            "Si cela vous a aidé, cliquez sur **Solved** ; sinon, sur **Not helpful**. "
            "Un bénévole pourra tout de même intervenir."
        ),
        "es": (
            "Si te ha servido, pulsa **Solved**; si no, pulsa **Not helpful**. "
            "Aun así, algún voluntario puede pasarse a ayudar."
        ),
        "it": (
            "Se ti è stato utile, premi **Solved**; altrimenti premi **Not helpful**. "
            "Un volontario potrebbe comunque intervenire."
        ),
        "de": (
            "Hat das geholfen, klick auf **Solved**, sonst auf **Not helpful**. "
            "Ein Freiwilliger kann sich trotzdem noch melden."
        ),
        "pt": (
            "Se isso ajudou, clique em **Solved**; se não, clique em **Not helpful**. "
            "Um voluntário ainda pode aparecer para ajudar."
        ),
        "id": (
            "Kalau ini membantu, tekan **Solved**; kalau tidak, tekan **Not helpful**. "
            "Relawan tetap bisa ikut membantu."
        ),
        "zh": "如果有帮助，请点击 **Solved**；如果没帮上忙，请点击 **Not helpful**。志愿者仍可能会来补充。",
    },
    "remind.intro": {
        "en": "To help volunteers reproduce this, could you add:",
        "fr": "Pour aider les bénévoles à reproduire le problème, pourriez-vous ajouter :",
        "es": "Para que los voluntarios puedan reproducirlo, añade por favor:",
        "it": "Per aiutare i volontari a riprodurre il problema, potresti aggiungere:",
        "de": "Damit die Freiwilligen das nachstellen können, ergänze bitte:",
        "pt": "Para ajudar os voluntários a reproduzir o problema, você poderia adicionar:",
        "id": "Supaya relawan bisa mereproduksi masalah ini, tolong tambahkan:",
        "zh": "为了让志愿者能复现这个问题，请补充以下信息：",
    },
    "remind.footer": {
        "en": (
            "I'll update this checklist when you edit your message or add details in this thread. "
            "The output of `{cli} doctor` is a great start."
        ),
        "fr": (
            "Je mettrai cette liste à jour quand vous modifierez votre message ou ajouterez des détails dans ce fil. "
            "La sortie de `{cli} doctor` est un excellent point de départ."
        ),
        "es": (
            "Actualizaré esta lista cuando edites tu mensaje o añadas detalles en este hilo. "
            "La salida de `{cli} doctor` es un gran punto de partida."
        ),
        "it": (
            "Aggiornerò questa checklist quando modifichi il messaggio o aggiungi dettagli in questo thread. "
            "L'output di `{cli} doctor` è un ottimo punto di partenza."
        ),
        "de": (
            "Ich aktualisiere diese Checkliste, sobald du deine Nachricht bearbeitest oder im Thread Details ergänzt. "
            "Die Ausgabe von `{cli} doctor` ist ein guter Anfang."
        ),
        "pt": (
            "Vou atualizar esta checklist quando você editar sua mensagem ou adicionar detalhes neste tópico. "
            "A saída de `{cli} doctor` é um ótimo começo."
        ),
        "id": (
            "Daftar ini akan saya perbarui saat kamu mengedit pesan atau menambahkan detail di thread ini. "
            "Output `{cli} doctor` adalah awal yang bagus."
        ),
        "zh": "你编辑消息或在此帖中补充信息后，我会更新这份清单。`{cli} doctor` 的输出是个很好的开始。",
    },
    "remind.also_see": {
        "en": "While you gather these, this page may be related: **{title}** — {url}",
        "fr": "En attendant, cette page pourrait vous être utile : **{title}** — {url}",
        "es": "Mientras tanto, esta página podría estar relacionada: **{title}** — {url}",
        "it": "Nel frattempo, questa pagina potrebbe esserti utile: **{title}** — {url}",
        "de": "Während du das sammelst, könnte diese Seite passen: **{title}** — {url}",
        "pt": "Enquanto isso, esta página pode ter relação: **{title}** — {url}",
        "id": "Sambil menyiapkannya, halaman ini mungkin terkait: **{title}** — {url}",
        "zh": "在你整理信息的同时，这个页面可能相关：**{title}** — {url}",
    },
    "route.billing": {
        "en": (
            "Billing help is available to every {brand} customer, whatever your plan. "
            "Write to {support_email} from your account e-mail, or use the help feature in the console "
            "({console_url}). Please never post invoices or payment details here: this channel is public."
        ),
        "fr": (
            "L'aide à la facturation est ouverte à tous les clients {brand}, quel que soit votre forfait. "
            "Écrivez à {support_email} depuis l'adresse e-mail de votre compte, ou utilisez la fonction d'aide "
            "de la console ({console_url}). Ne publiez jamais ici de factures ni de données de paiement : "
            "ce salon est public."
        ),
        "es": (
            "La ayuda con la facturación está disponible para todos los clientes de {brand}, sea cual sea tu plan. "
            "Escribe a {support_email} desde el e-mail de tu cuenta o usa la función de ayuda de la consola "
            "({console_url}). Por favor, nunca publiques aquí facturas ni datos de pago: este canal es público."
        ),
        "it": (
            "L'assistenza per la fatturazione è disponibile per tutti i clienti {brand}, qualunque sia il tuo piano. "
            "Scrivi a {support_email} dall'e-mail del tuo account oppure usa la funzione di aiuto della console "
            "({console_url}). Non pubblicare mai qui fatture o dati di pagamento: questo canale è pubblico."
        ),
        "de": (
            "Hilfe zur Abrechnung steht allen {brand}-Kunden offen, unabhängig vom Tarif. "
            "Schreib an {support_email} von der E-Mail-Adresse deines Kontos oder nutze die Hilfefunktion "
            "in der Konsole ({console_url}). Bitte poste hier niemals Rechnungen oder Zahlungsdaten: "
            "Dieser Kanal ist öffentlich."
        ),
        "pt": (
            "A ajuda com cobrança está disponível para todos os clientes {brand}, qualquer que seja o seu plano. "
            "Escreva para {support_email} a partir do e-mail da sua conta ou use a função de ajuda do console "
            "({console_url}). Nunca publique aqui faturas nem dados de pagamento: este canal é público."
        ),
        "id": (
            "Bantuan penagihan tersedia untuk semua pelanggan {brand}, apa pun paketmu. "
            "Kirim email ke {support_email} dari email akunmu, atau gunakan fitur bantuan di console "
            "({console_url}). Jangan pernah memposting invoice atau detail pembayaran di sini: channel ini publik."
        ),
        "zh": (
            "无论你使用哪个套餐，所有 {brand} 客户都可以获得账单方面的帮助。"
            "请用你的账户邮箱发送邮件至 {support_email} ，或使用控制台 {console_url} 中的帮助功能。"
            "请勿在这里发布发票或付款信息：这个频道是公开的。"
        ),
    },
    "route.account": {
        "en": (
            "Account help (access, e-mail change, deletion, ownership transfer) is available to every {brand} "
            "customer. Contact {support_email} from your registered account e-mail, or use the help feature in the "
            "console ({console_url}). Never share passwords, API keys or other credentials here."
        ),
        "fr": (
            "L'aide à la gestion du compte (accès, changement d'e-mail, suppression, transfert de propriété) est "
            "ouverte à tous les clients {brand}. Contactez {support_email} depuis l'adresse e-mail enregistrée de "
            "votre compte, ou passez par l'aide de la console ({console_url}). Ne partagez jamais ici de mots de "
            "passe, clés API ou autres identifiants."
        ),
        "es": (
            "La ayuda con la cuenta (acceso, cambio de e-mail, eliminación, transferencia de propiedad) está "
            "disponible para todos los clientes de {brand}. Escribe a {support_email} desde el e-mail registrado de "
            "tu cuenta o usa la ayuda de la consola ({console_url}). Nunca compartas aquí contraseñas, claves API "
            "ni otras credenciales."
        ),
        "it": (
            "L'assistenza sull'account (accesso, cambio e-mail, eliminazione, trasferimento di proprietà) è "
            "disponibile per tutti i clienti {brand}. Contatta {support_email} dall'e-mail registrata del tuo "
            "account oppure usa l'aiuto della console ({console_url}). Non condividere mai qui password, chiavi API "
            "o altre credenziali."
        ),
        "de": (
            "Hilfe rund ums Konto (Zugang, E-Mail-Änderung, Löschung, Eigentümerwechsel) steht allen "
            "{brand}-Kunden offen. Schreib an {support_email} von der registrierten E-Mail-Adresse deines Kontos "
            "oder nutze die Hilfe in der Konsole ({console_url}). Teile hier niemals Passwörter, API-Keys oder "
            "andere Zugangsdaten."
        ),
        "pt": (
            "A ajuda com a conta (acesso, troca de e-mail, exclusão, transferência de titularidade) está disponível "
            "para todos os clientes {brand}. Escreva para {support_email} a partir do e-mail cadastrado da sua conta "
            "ou use a ajuda do console ({console_url}). Nunca compartilhe aqui senhas, chaves de API ou outras "
            "credenciais."
        ),
        "id": (
            "Bantuan pengelolaan akun (akses, ganti email, penghapusan, transfer kepemilikan) tersedia untuk semua "
            "pelanggan {brand}. Hubungi {support_email} dari email akun yang terdaftar, atau gunakan fitur bantuan "
            "di console ({console_url}). Jangan pernah membagikan password, API key, atau kredensial lain di sini."
        ),
        "zh": (
            "账户管理方面的帮助（访问权限、更改邮箱、删除账户、转移所有权）面向所有 {brand} 客户开放。"
            "请用注册账户的邮箱联系 {support_email} ，或使用控制台 {console_url} 中的帮助功能。"
            "切勿在这里分享密码、API 密钥或其他凭据。"
        ),
    },
    "route.out_of_scope": {
        "en": (
            "Just so you know: official {brand} support doesn't cover debugging or rewriting your own app code, "
            "or patching third-party or open-source libraries (see {support_policy_url}). "
            "The community may still help here if you share a minimal reproduction."
        ),
        "fr": (
            "Petite précision : le support officiel de {brand} ne couvre pas le débogage ou la réécriture du code "
            "de votre app, ni la modification de bibliothèques tierces ou open source (voir {support_policy_url}). "
            "La communauté peut quand même vous aider ici si vous partagez une reproduction minimale."
        ),
        "es": (
            "Un apunte: el soporte oficial de {brand} no cubre depurar ni reescribir el código de tu app, ni "
            "parchear librerías de terceros u open source (ver {support_policy_url}). "
            "Aun así, la comunidad puede ayudarte aquí si compartes una reproducción mínima."
        ),
        "it": (
            "Una precisazione: il supporto ufficiale di {brand} non copre il debug o la riscrittura del codice "
            "della tua app, né le patch a librerie di terze parti o open source (vedi {support_policy_url}). "
            "La community può comunque aiutarti qui se condividi una riproduzione minima."
        ),
        "de": (
            "Kurzer Hinweis: Der offizielle {brand}-Support umfasst weder das Debuggen oder Umschreiben deines "
            "eigenen App-Codes noch das Patchen von Drittanbieter- oder Open-Source-Bibliotheken "
            "(siehe {support_policy_url}). Die Community kann dir hier trotzdem helfen, wenn du eine minimale "
            "Reproduktion teilst."
        ),
        "pt": (
            "Só um aviso: o suporte oficial {brand} não cobre depurar ou reescrever o código do seu app, nem corrigir "
            "bibliotecas de terceiros ou open source (veja {support_policy_url}). "
            "A comunidade ainda pode ajudar aqui se você compartilhar uma reprodução mínima."
        ),
        "id": (
            "Sekadar info: dukungan resmi {brand} tidak mencakup debugging atau penulisan ulang kode aplikasimu "
            "sendiri, maupun patch untuk library pihak ketiga atau open source (lihat {support_policy_url}). "
            "Komunitas tetap bisa membantu di sini jika kamu membagikan reproduksi minimal."
        ),
        "zh": (
            "温馨提示：{brand} 官方支持不包括调试或重写你自己的应用代码，也不包括修补第三方或开源库"
            "（详见 {support_policy_url} ）。如果你分享一个最小可复现示例，社区仍可能在这里提供帮助。"
        ),
    },
    "route.incident": {
        "en": (
            "This looks like a platform issue. Ongoing incidents are posted on {status_url}, and no ticket is "
            "needed for an ongoing platform issue. If nothing is posted there, please share the exact error and "
            "when it happened (with time zone) so the team can check."
        ),
        "fr": (
            "Cela ressemble à un problème de plateforme. Les incidents en cours sont publiés sur {status_url}, et "
            "aucun ticket n'est nécessaire pour un incident en cours. Si rien n'y est indiqué, partagez l'erreur "
            "exacte et l'heure à laquelle elle s'est produite (avec le fuseau horaire) pour que l'équipe vérifie."
        ),
        "es": (
            "Parece un problema de la plataforma. Las incidencias en curso se publican en {status_url} y no hace "
            "falta abrir un ticket por una incidencia en curso. Si allí no aparece nada, comparte el error exacto "
            "y cuándo ocurrió (con zona horaria) para que el equipo pueda revisarlo."
        ),
        "it": (
            "Sembra un problema della piattaforma. Gli incidenti in corso vengono pubblicati su {status_url} e non "
            "serve aprire un ticket per un problema già in corso. Se lì non c'è nulla, condividi l'errore esatto e "
            "quando si è verificato (con fuso orario), così il team può controllare."
        ),
        "de": (
            "Das sieht nach einem Plattformproblem aus. Laufende Störungen werden auf {status_url} veröffentlicht; "
            "für eine laufende Störung ist kein Ticket nötig. Steht dort nichts, teile bitte die genaue "
            "Fehlermeldung und den Zeitpunkt (mit Zeitzone), damit das Team nachsehen kann."
        ),
        "pt": (
            "Parece um problema na plataforma. Incidentes em andamento são publicados em {status_url}, e não é "
            "preciso abrir ticket para um problema em andamento. Se não houver nada lá, compartilhe o erro exato "
            "e quando ele aconteceu (com fuso horário) para que a equipe possa verificar."
        ),
        "id": (
            "Sepertinya ini masalah platform. Insiden yang sedang berlangsung diumumkan di {status_url}, dan tidak "
            "perlu membuat tiket untuk masalah platform yang sedang berlangsung. Jika tidak ada info di sana, "
            "bagikan pesan error persisnya dan waktu kejadiannya (beserta zona waktu) agar tim bisa memeriksanya."
        ),
        "zh": (
            "这看起来像是平台问题。正在发生的故障会发布在 {status_url} ，平台故障期间无需提交工单。"
            "如果那里没有相关公告，请提供确切的错误信息和发生时间（含时区），以便团队排查。"
        ),
    },
    "route.incident_known": {
        "en": (
            "A known incident is in progress: **{incident}**. Follow {status_url} for updates; no ticket is needed. "
            "If your problem is unrelated, let us know with the button below."
        ),
        "fr": (
            "Un incident connu est en cours : **{incident}**. Suivez {status_url} pour les mises à jour ; inutile "
            "d'ouvrir un ticket. Si votre problème n'a rien à voir, signalez-le avec le bouton ci-dessous."
        ),
        "es": (
            "Hay una incidencia conocida en curso: **{incident}**. Sigue {status_url} para ver las novedades; no "
            "hace falta abrir un ticket. Si tu problema no tiene relación, indícalo con el botón de abajo."
        ),
        "it": (
            "È in corso un incidente noto: **{incident}**. Segui {status_url} per gli aggiornamenti; non serve "
            "aprire un ticket. Se il tuo problema non c'entra, segnalalo con il pulsante qui sotto."
        ),
        "de": (
            "Es gibt gerade eine bekannte Störung: **{incident}**. Updates findest du auf {status_url}; ein Ticket "
            "ist nicht nötig. Falls dein Problem nichts damit zu tun hat, sag uns über den Button unten Bescheid."
        ),
        "pt": (
            "Há um incidente conhecido em andamento: **{incident}**. Acompanhe {status_url} para atualizações; não "
            "é preciso abrir ticket. Se o seu problema não tiver relação, avise pelo botão abaixo."
        ),
        "id": (
            "Ada insiden yang sedang berlangsung: **{incident}**. Pantau {status_url} untuk info terbaru; tidak "
            "perlu membuat tiket. Jika masalahmu tidak terkait, beri tahu kami lewat tombol di bawah."
        ),
        "zh": (
            "目前有一个已知故障正在处理中：**{incident}**。请关注 {status_url} 获取最新进展，无需提交工单。"
            "如果你的问题与此无关，请点击下方按钮告诉我们。"
        ),
    },
    "escalate.offer": {
        "en": (
            "Official technical support is for customers on a paid plan or paid add-on. Requests must come through "
            "an official channel, from your registered account e-mail, with Developer or higher access to the app "
            "concerned. "
            "To open a ticket, use the **Ask staff** button (or `/escalate`) here, or write to {support_email}. "
            "Details: {support_policy_url} · Enterprise SLA response times: {sla_url}"
        ),
        "fr": (
            "Le support technique officiel est réservé aux forfaits ou options payants, via un canal officiel, "
            "depuis l'e-mail enregistré du compte, avec un accès Développeur ou supérieur à l'app concernée. "
            "Pour ouvrir un ticket : bouton **Ask staff** (ou `/escalate`) ici, ou e-mail à {support_email}. "
            "Détails : {support_policy_url} · Délais de réponse SLA Enterprise : {sla_url}"
        ),
        "es": (
            "El soporte técnico oficial es para planes o complementos de pago, por un canal oficial, desde el "
            "e-mail registrado de la cuenta y con acceso de Desarrollador o superior a la app en cuestión. "
            "Para abrir un ticket, usa aquí el botón **Ask staff** (o `/escalate`) o escribe a {support_email}. "
            "Detalles: {support_policy_url} · Tiempos de respuesta SLA Enterprise: {sla_url}"
        ),
        "it": (
            "Il supporto tecnico ufficiale è per piani o add-on a pagamento, tramite un canale ufficiale, "
            "dall'e-mail registrata dell'account e con accesso Sviluppatore o superiore all'app interessata. "
            "Per aprire un ticket usa qui il pulsante **Ask staff** (o `/escalate`) o scrivi a {support_email}. "
            "Dettagli: {support_policy_url} · Tempi di risposta SLA Enterprise: {sla_url}"
        ),
        "de": (
            "Offizieller technischer Support gilt für bezahlte Tarife oder Add-ons, über einen offiziellen Kanal, "
            "von der registrierten Konto-E-Mail und mit Entwickler- oder höherem Zugriff auf die betroffene App. "
            "Für ein Ticket nutze hier den Button **Ask staff** (oder `/escalate`) oder schreib an {support_email}. "
            "Details: {support_policy_url} · SLA-Reaktionszeiten für Enterprise: {sla_url}"
        ),
        "pt": (
            "O suporte técnico oficial é para planos ou add-ons pagos, por um canal oficial, a partir do e-mail "
            "cadastrado da conta e com acesso de Desenvolvedor ou superior ao app em questão. "
            "Para abrir um ticket, use aqui o botão **Ask staff** (ou `/escalate`) ou escreva para {support_email}. "
            "Detalhes: {support_policy_url} · Tempos de resposta do SLA Enterprise: {sla_url}"
        ),
        "id": (
            "Dukungan teknis resmi ditujukan untuk paket atau add-on berbayar, lewat saluran resmi, dari email "
            "akun yang terdaftar, dengan akses Pengembang atau lebih tinggi ke aplikasi terkait. "
            "Untuk membuka tiket, gunakan tombol **Ask staff** (atau `/escalate`) di sini, atau email "
            "{support_email}. Detail: {support_policy_url} · Waktu respons SLA Enterprise: {sla_url}"
        ),
        "zh": (
            "官方技术支持面向付费套餐或付费附加服务的客户，需通过官方渠道、使用注册账户邮箱提交，"
            "且你对相关应用拥有开发者或更高权限。如需提交工单，请在此点击 **Ask staff** 按钮（或使用 `/escalate`），"
            "或发送邮件至 {support_email} 。详情：{support_policy_url} · Enterprise SLA 响应时间：{sla_url}"
        ),
    },
    "why.answer": {
        "en": "Answered with {target} (confidence {confidence})",
        "fr": "Réponse donnée avec {target} (confiance {confidence})",
        "es": "Respondido con {target} (confianza {confidence})",
        "it": "Risposto con {target} (confidenza {confidence})",
        "de": "Beantwortet mit {target} (Konfidenz {confidence})",
        "pt": "Respondido com {target} (confiança {confidence})",
        "id": "Dijawab dengan {target} (keyakinan {confidence})",
        "zh": "已使用 {target} 回答（置信度 {confidence}）",
    },
    "why.silent": {
        "en": "Stayed silent: {reason}",
        "fr": "Pas de réponse : {reason}",
        "es": "Sin respuesta: {reason}",
        "it": "Nessuna risposta: {reason}",
        "de": "Keine Antwort: {reason}",
        "pt": "Sem resposta: {reason}",
        "id": "Tidak membalas: {reason}",
        "zh": "未回复：{reason}",
    },
    "shadow.would_reply": {
        "en": "Would have replied ({action}): {reason}",
        "fr": "Aurait répondu ({action}) : {reason}",
        "es": "Habría respondido ({action}): {reason}",
        "it": "Avrebbe risposto ({action}): {reason}",
        "de": "Hätte geantwortet ({action}): {reason}",
        "pt": "Teria respondido ({action}): {reason}",
        "id": "Akan membalas ({action}): {reason}",
        "zh": "本会回复（{action}）：{reason}",
    },
}

# The checklist item asking for each missing reproduction detail.
DETAIL_LABELS: dict[str, dict[str, str]] = {
    "error": {
        "en": "The exact error message, log or stack trace (Xcode / Logcat / CLI output), in a code block",
        "fr": "Le message d'erreur, log ou stack trace exact (Xcode / Logcat / sortie du CLI), dans un bloc de code",
        "es": "El error, log o stack trace exacto (Xcode / Logcat / salida de la CLI), en un bloque de código",
        "it": "L'errore, log o stack trace esatto (Xcode / Logcat / output della CLI), in un blocco di codice",
        "de": "Die genaue Fehlermeldung, das Log oder den Stack-Trace (Xcode / Logcat / CLI-Ausgabe) im Codeblock",
        "pt": "A mensagem de erro, log ou stack trace exato (Xcode / Logcat / saída da CLI), em um bloco de código",
        "id": "Pesan error, log, atau stack trace persisnya (Xcode / Logcat / output CLI), dalam code block",
        "zh": "确切的错误信息、日志或堆栈跟踪（Xcode / Logcat / CLI 输出），放在代码块中",
    },
    "code": {
        "en": "The relevant code or config snippet, e.g. the `CapacitorUpdater` block of `capacitor.config`",
        "fr": "L'extrait de code ou de configuration concerné, p. ex. le bloc `CapacitorUpdater` de `capacitor.config`",
        "es": "El fragmento de código o config relevante, p. ej. el bloque `CapacitorUpdater` de `capacitor.config`",
        "it": "Lo snippet di codice o config rilevante, ad es. il blocco `CapacitorUpdater` di `capacitor.config`",
        "de": "Das relevante Code- oder Config-Snippet, z. B. den `CapacitorUpdater`-Block aus `capacitor.config`",
        "pt": "O trecho de código ou configuração relevante, ex. o bloco `CapacitorUpdater` do `capacitor.config`",
        "id": "Potongan kode atau config yang relevan, mis. blok `CapacitorUpdater` di `capacitor.config`",
        "zh": "相关的代码或配置片段，例如 `capacitor.config` 中的 `CapacitorUpdater` 部分",
    },
    "versions": {
        "en": "Versions of `{plugin}`, the CLI, Capacitor and the OS (`npx cap doctor` helps)",
        "fr": "Les versions de `{plugin}`, du CLI, de Capacitor et de l'OS (`npx cap doctor` aide)",
        "es": "Las versiones de `{plugin}`, la CLI, Capacitor y el SO (`npx cap doctor` ayuda)",
        "it": "Le versioni di `{plugin}`, della CLI, di Capacitor e del sistema operativo (`npx cap doctor` aiuta)",
        "de": "Die Versionen von `{plugin}`, CLI, Capacitor und Betriebssystem (`npx cap doctor` hilft)",
        "pt": "As versões do `{plugin}`, da CLI, do Capacitor e do SO (`npx cap doctor` ajuda)",
        "id": "Versi `{plugin}`, CLI, Capacitor, dan OS (`npx cap doctor` bisa membantu)",
        "zh": "`{plugin}`、CLI、Capacitor 和操作系统的版本（可运行 `npx cap doctor` 查看）",
    },
    "platform": {
        "en": "Which platform: iOS, Android, web or Electron, and whether on a real device or an emulator",
        "fr": "La plateforme : iOS, Android, web ou Electron, et s'il s'agit d'un appareil réel ou d'un émulateur",
        "es": "La plataforma: iOS, Android, web o Electron, y si es un dispositivo real o un emulador",
        "it": "La piattaforma: iOS, Android, web o Electron, e se su dispositivo reale o emulatore",
        "de": "Die Plattform: iOS, Android, Web oder Electron, und ob echtes Gerät oder Emulator",
        "pt": "A plataforma: iOS, Android, web ou Electron, e se é um dispositivo real ou emulador",
        "id": "Platformnya: iOS, Android, web, atau Electron, dan di perangkat asli atau emulator",
        "zh": "哪个平台：iOS、Android、Web 还是 Electron，以及是真机还是模拟器",
    },
    "steps": {
        "en": "The exact steps that reproduce it, and what you expected to happen",
        "fr": "Les étapes exactes pour reproduire le problème, et ce que vous attendiez",
        "es": "Los pasos exactos para reproducirlo y lo que esperabas que pasara",
        "it": "I passaggi esatti per riprodurlo e cosa ti aspettavi che succedesse",
        "de": "Die genauen Schritte, um es nachzustellen, und was du erwartet hast",
        "pt": "Os passos exatos para reproduzir o problema e o que você esperava que acontecesse",
        "id": "Langkah persis untuk mereproduksinya, dan hasil yang kamu harapkan",
        "zh": "复现问题的具体步骤，以及你期望的结果",
    },
}
