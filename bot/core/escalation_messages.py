"""Localised texts of the official-support escalation (eligibility refusals, tickets, account linking).

Placeholders are filled by bot.core.faq.render: the brand ones (`{brand}`, `{support_email}`,
`{support_policy_url}`, `{sla_url}`, `{premium_support_url}`, `{console_url}`, `{status_url}`) plus, where a
key needs it, `{ticket_id}`, `{sla}`, `{where}` and `{details}` (the caller adds them to the values).
"""

LANGS = ("en", "fr", "es", "it", "de", "pt", "id", "zh")

# Extra (non-brand) placeholders each key uses; every other key uses brand placeholders only.
EXTRA_PLACEHOLDERS: dict[str, frozenset[str]] = {
    "ticket.created": frozenset({"ticket_id", "where", "sla"}),
    "ticket.sent_later": frozenset({"ticket_id"}),
    "ticket.public": frozenset({"ticket_id"}),
    "ticket.solved": frozenset({"ticket_id"}),
    "whoami.linked": frozenset({"details"}),
}

ESCALATION_MESSAGES: dict[str, dict[str, str]] = {
    "refuse.not_linked": {
        "en": (
            "To open an official support ticket, first link your {brand} account with `/link`. "
            "It's private: only you see it."
        ),
        "fr": (
            "Pour ouvrir un ticket au support officiel, liez d'abord votre compte {brand} avec `/link`. "
            "C'est privé : vous seul le voyez."
        ),
        "es": (
            "Para abrir un ticket con el soporte oficial, primero vincula tu cuenta de {brand} con `/link`. "
            "Es privado: solo tú lo ves."
        ),
        "it": (
            "Per aprire un ticket con il supporto ufficiale, collega prima il tuo account {brand} con `/link`. "
            "È privato: lo vedi solo tu."
        ),
        "de": (
            "Um ein Ticket beim offiziellen Support zu eröffnen, verknüpfe zuerst dein {brand}-Konto mit `/link`. "
            "Das ist privat: nur du siehst es."
        ),
        "pt": (
            "Para abrir um ticket no suporte oficial, primeiro vincule sua conta {brand} com `/link`. "
            "É privado: só você vê."
        ),
        "id": (
            "Untuk membuka tiket dukungan resmi, hubungkan dulu akun {brand} kamu dengan `/link`. "
            "Ini privat: hanya kamu yang melihatnya."
        ),
        "zh": "要提交官方支持工单，请先用 `/link` 关联你的 {brand} 账户。此操作是私密的，只有你能看到。",
    },
    "refuse.unknown_org": {
        "en": (
            "I can't find that organisation among the ones your account belongs to. Pick one of your "
            "organisations and try again (an admin can invite you from {console_url})."
        ),
        "fr": (
            "Je ne trouve pas cette organisation parmi celles de votre compte. Choisissez l'une de vos "
            "organisations et réessayez (un administrateur peut vous inviter depuis {console_url})."
        ),
        "es": (
            "No encuentro esa organización entre las de tu cuenta. Elige una de tus organizaciones y vuelve a "
            "intentarlo (un administrador puede invitarte desde {console_url})."
        ),
        "it": (
            "Non trovo questa organizzazione tra quelle del tuo account. Scegli una delle tue organizzazioni e "
            "riprova (un amministratore può invitarti da {console_url})."
        ),
        "de": (
            "Diese Organisation gehört nicht zu deinem Konto. Wähle eine deiner Organisationen und versuch es "
            "noch einmal (ein Admin kann dich über {console_url} einladen)."
        ),
        "pt": (
            "Não encontrei essa organização entre as da sua conta. Escolha uma das suas organizações e tente "
            "de novo (um administrador pode te convidar em {console_url})."
        ),
        "id": (
            "Organisasi itu tidak ada di antara organisasi akun kamu. Pilih salah satu organisasi kamu lalu "
            "coba lagi (admin bisa mengundangmu lewat {console_url})."
        ),
        "zh": "你的账户不属于该组织。请选择你所在的组织后重试（管理员可以在 {console_url} 邀请你加入）。",
    },
    "refuse.unknown_app": {
        "en": "That app isn't part of the organisation you chose. Pick one of its apps, or leave the app empty.",
        "fr": (
            "Cette application ne fait pas partie de l'organisation choisie. Choisissez l'une de ses "
            "applications, ou laissez le champ vide."
        ),
        "es": "Esa app no pertenece a la organización elegida. Elige una de sus apps o deja el campo vacío.",
        "it": "Questa app non fa parte dell'organizzazione scelta. Scegli una delle sue app o lascia il campo vuoto.",
        "de": "Diese App gehört nicht zur gewählten Organisation. Wähle eine ihrer Apps oder lass das Feld leer.",
        "pt": "Esse app não faz parte da organização escolhida. Escolha um dos apps dela ou deixe o campo vazio.",
        "id": (
            "Aplikasi itu bukan bagian dari organisasi yang kamu pilih. Pilih salah satu aplikasinya, atau kosongkan."
        ),
        "zh": "该应用不属于你选择的组织。请选择该组织下的应用，或将应用留空。",
    },
    "refuse.not_paid": {
        "en": (
            "Official technical support is for paid plans and paid add-ons. You can upgrade in {console_url} "
            "or add the premium support option ({premium_support_url}). Meanwhile, the community and "
            "volunteers are happy to help right here."
        ),
        "fr": (
            "Le support technique officiel est réservé aux offres payantes et aux options payantes. Vous pouvez "
            "changer d'offre dans {console_url} ou ajouter l'option de support premium ({premium_support_url}). "
            "En attendant, la communauté et les bénévoles peuvent vous aider ici."
        ),
        "es": (
            "El soporte técnico oficial es para planes y complementos de pago. Puedes mejorar tu plan en "
            "{console_url} o añadir la opción de soporte premium ({premium_support_url}). Mientras tanto, la "
            "comunidad y los voluntarios pueden ayudarte aquí."
        ),
        "it": (
            "Il supporto tecnico ufficiale è riservato ai piani e ai componenti aggiuntivi a pagamento. Puoi "
            "passare a un piano superiore su {console_url} o aggiungere l'opzione di supporto premium "
            "({premium_support_url}). Nel frattempo, la community e i volontari possono aiutarti qui."
        ),
        "de": (
            "Der offizielle technische Support gilt für bezahlte Tarife und kostenpflichtige Zusatzoptionen. Du "
            "kannst in {console_url} upgraden oder die Premium-Support-Option hinzufügen ({premium_support_url}). "
            "Bis dahin helfen dir die Community und die Freiwilligen gern hier."
        ),
        "pt": (
            "O suporte técnico oficial é para planos e complementos pagos. Você pode fazer upgrade em "
            "{console_url} ou adicionar a opção de suporte premium ({premium_support_url}). Enquanto isso, a "
            "comunidade e os voluntários podem te ajudar aqui."
        ),
        "id": (
            "Dukungan teknis resmi hanya untuk paket dan add-on berbayar. Kamu bisa upgrade di {console_url} "
            "atau menambahkan opsi dukungan premium ({premium_support_url}). Sementara itu, komunitas dan "
            "relawan siap membantu di sini."
        ),
        "zh": (
            "官方技术支持仅面向付费套餐和付费附加服务。你可以在 {console_url} 升级套餐，或添加高级支持选项"
            "（{premium_support_url}）。在此期间，社区和志愿者也很乐意在这里帮你。"
        ),
    },
    "refuse.role": {
        "en": (
            "Official technical support needs Developer or higher access to the app concerned. "
            "Ask an admin of your organisation to give you that role, then try again."
        ),
        "fr": (
            "Le support technique officiel demande un accès Developer ou supérieur à l'application concernée. "
            "Demandez ce rôle à un administrateur de votre organisation, puis réessayez."
        ),
        "es": (
            "El soporte técnico oficial requiere acceso de Developer o superior a la app en cuestión. "
            "Pide ese rol a un administrador de tu organización y vuelve a intentarlo."
        ),
        "it": (
            "Il supporto tecnico ufficiale richiede un accesso Developer o superiore all'app interessata. "
            "Chiedi questo ruolo a un amministratore della tua organizzazione, poi riprova."
        ),
        "de": (
            "Für den offiziellen technischen Support brauchst du mindestens Developer-Zugriff auf die betroffene "
            "App. Bitte einen Admin deiner Organisation um diese Rolle und versuch es dann noch einmal."
        ),
        "pt": (
            "O suporte técnico oficial exige acesso Developer ou superior ao app em questão. "
            "Peça essa função a um administrador da sua organização e tente de novo."
        ),
        "id": (
            "Dukungan teknis resmi memerlukan akses Developer atau lebih tinggi ke aplikasi terkait. "
            "Minta peran itu ke admin organisasi kamu, lalu coba lagi."
        ),
        "zh": "官方技术支持要求你对相关应用拥有 Developer 或更高权限。请联系组织管理员为你分配该角色后重试。",
    },
    "refuse.category": {
        "en": "That kind of request isn't covered by official support. See what is: {support_policy_url}",
        "fr": "Ce type de demande n'est pas couvert par le support officiel. Ce qui l'est : {support_policy_url}",
        "es": "Ese tipo de solicitud no está cubierto por el soporte oficial. Lo que sí cubre: {support_policy_url}",
        "it": "Questo tipo di richiesta non è coperto dal supporto ufficiale. Cosa è coperto: {support_policy_url}",
        "de": "Diese Art von Anfrage deckt der offizielle Support nicht ab. Was abgedeckt ist: {support_policy_url}",
        "pt": "Esse tipo de pedido não é coberto pelo suporte oficial. Veja o que é coberto: {support_policy_url}",
        "id": "Jenis permintaan itu tidak dicakup dukungan resmi. Lihat yang dicakup: {support_policy_url}",
        "zh": "官方支持不涵盖此类请求。支持范围请见：{support_policy_url}",
    },
    "refuse.out_of_scope": {
        "en": (
            "Debugging or rewriting your own app's code, or patching third-party software, isn't covered by "
            "official support. The community can help: share a minimal reproduction and the exact error."
        ),
        "fr": (
            "Le débogage ou la réécriture du code de votre application, ou la modification de logiciels tiers, "
            "ne sont pas couverts par le support officiel. La communauté peut aider : partagez une reproduction "
            "minimale et l'erreur exacte."
        ),
        "es": (
            "Depurar o reescribir el código de tu app, o parchear software de terceros, no está cubierto por el "
            "soporte oficial. La comunidad puede ayudarte: comparte una reproducción mínima y el error exacto."
        ),
        "it": (
            "Il debug o la riscrittura del codice della tua app, o la modifica di software di terze parti, non "
            "sono coperti dal supporto ufficiale. La community può aiutarti: condividi una riproduzione minima e "
            "l'errore esatto."
        ),
        "de": (
            "Das Debuggen oder Umschreiben deines eigenen App-Codes und das Patchen von Drittsoftware deckt der "
            "offizielle Support nicht ab. Die Community hilft gern: teile ein minimales Beispiel zum Nachstellen "
            "und die genaue Fehlermeldung."
        ),
        "pt": (
            "Depurar ou reescrever o código do seu app, ou modificar software de terceiros, não é coberto pelo "
            "suporte oficial. A comunidade pode ajudar: compartilhe uma reprodução mínima e o erro exato."
        ),
        "id": (
            "Debugging atau menulis ulang kode aplikasimu sendiri, atau menambal software pihak ketiga, tidak "
            "dicakup dukungan resmi. Komunitas bisa membantu: bagikan reproduksi minimal dan pesan error-nya."
        ),
        "zh": (
            "调试或重写你自己应用的代码、修改第三方软件，均不在官方支持范围内。社区可以帮忙："
            "请提供最小复现示例和完整的错误信息。"
        ),
    },
    "billing.where": {
        "en": (
            "Billing and account help is open to every customer: write to {support_email} from your account's "
            "e-mail address, or use the help in the console ({console_url})."
        ),
        "fr": (
            "L'aide sur la facturation et le compte est ouverte à tous les clients : écrivez à {support_email} "
            "depuis l'adresse e-mail de votre compte, ou utilisez l'aide de la console ({console_url})."
        ),
        "es": (
            "La ayuda con facturación y cuenta es para todos los clientes: escribe a {support_email} desde el "
            "correo de tu cuenta o usa la ayuda de la consola ({console_url})."
        ),
        "it": (
            "L'assistenza su fatturazione e account è per tutti i clienti: scrivi a {support_email} dall'indirizzo "
            "e-mail del tuo account, oppure usa l'aiuto della console ({console_url})."
        ),
        "de": (
            "Hilfe zu Abrechnung und Konto bekommt jeder Kunde: schreib an {support_email} von der E-Mail-Adresse "
            "deines Kontos oder nutze die Hilfe in der Konsole ({console_url})."
        ),
        "pt": (
            "A ajuda com cobrança e conta é para todos os clientes: escreva para {support_email} a partir do "
            "e-mail da sua conta ou use a ajuda do console ({console_url})."
        ),
        "id": (
            "Bantuan tagihan dan akun terbuka untuk semua pelanggan: kirim e-mail ke {support_email} dari alamat "
            "e-mail akunmu, atau gunakan bantuan di konsol ({console_url})."
        ),
        "zh": (
            "账单和账户问题的帮助面向所有客户：请用账户邮箱发邮件至 {support_email}，"
            "或使用控制台中的帮助（{console_url}）。"
        ),
    },
    "ticket.created": {
        "en": "Ticket {ticket_id} is open. The conversation continues {where}. Expected first response: {sla}.",
        "fr": "Le ticket {ticket_id} est ouvert. La conversation continue {where}. Première réponse attendue : {sla}.",
        "es": "El ticket {ticket_id} está abierto. La conversación sigue {where}. Primera respuesta prevista: {sla}.",
        "it": "Il ticket {ticket_id} è aperto. La conversazione continua {where}. Prima risposta prevista: {sla}.",
        "de": "Ticket {ticket_id} ist eröffnet. Das Gespräch geht {where} weiter. Erwartete erste Antwort: {sla}.",
        "pt": "O ticket {ticket_id} está aberto. A conversa continua {where}. Primeira resposta prevista: {sla}.",
        "id": "Tiket {ticket_id} sudah dibuka. Percakapan berlanjut {where}. Perkiraan respons pertama: {sla}.",
        "zh": "工单 {ticket_id} 已创建。后续沟通将在{where}进行。预计首次回复：{sla}。",
    },
    "ticket.no_sla": {
        "en": "Your plan has no response-time SLA: the team will answer as soon as possible.",
        "fr": "Votre offre n'inclut pas de délai de réponse garanti : l'équipe répondra dès que possible.",
        "es": "Tu plan no incluye un SLA de tiempo de respuesta: el equipo responderá lo antes posible.",
        "it": "Il tuo piano non prevede uno SLA sui tempi di risposta: il team risponderà il prima possibile.",
        "de": "Dein Tarif hat kein SLA für die Antwortzeit: das Team antwortet so schnell wie möglich.",
        "pt": "Seu plano não tem SLA de tempo de resposta: a equipe vai responder o mais rápido possível.",
        "id": "Paketmu tidak memiliki SLA waktu respons: tim akan menjawab secepat mungkin.",
        "zh": "你的套餐不含响应时间 SLA，团队会尽快回复。",
    },
    "ticket.queued": {
        "en": (
            "The support system can't be reached right now. Your request is saved and will be sent "
            "automatically; I'll tell you here once the ticket exists."
        ),
        "fr": (
            "Le système de support est injoignable pour le moment. Votre demande est enregistrée et sera envoyée "
            "automatiquement ; je vous préviendrai ici dès que le ticket sera créé."
        ),
        "es": (
            "Ahora mismo no se puede contactar con el sistema de soporte. Tu solicitud está guardada y se enviará "
            "automáticamente; te avisaré aquí cuando exista el ticket."
        ),
        "it": (
            "Il sistema di supporto al momento non è raggiungibile. La tua richiesta è salvata e verrà inviata "
            "automaticamente; ti avviserò qui appena il ticket sarà creato."
        ),
        "de": (
            "Das Support-System ist gerade nicht erreichbar. Deine Anfrage ist gespeichert und wird automatisch "
            "gesendet; ich sage dir hier Bescheid, sobald das Ticket angelegt ist."
        ),
        "pt": (
            "O sistema de suporte não está acessível agora. Seu pedido foi salvo e será enviado automaticamente; "
            "aviso você aqui assim que o ticket for criado."
        ),
        "id": (
            "Sistem dukungan sedang tidak bisa dihubungi. Permintaanmu sudah disimpan dan akan dikirim otomatis; "
            "aku akan memberi tahu di sini begitu tiketnya dibuat."
        ),
        "zh": "支持系统暂时无法连接。你的请求已保存，将自动发送；工单创建后我会在这里通知你。",
    },
    "ticket.public": {
        "en": "This conversation was sent to the support team as ticket {ticket_id}.",
        "fr": "Cette conversation a été transmise à l'équipe support : ticket {ticket_id}.",
        "es": "Esta conversación se envió al equipo de soporte como ticket {ticket_id}.",
        "it": "Questa conversazione è stata inviata al team di supporto come ticket {ticket_id}.",
        "de": "Diese Unterhaltung wurde als Ticket {ticket_id} an das Support-Team übergeben.",
        "pt": "Esta conversa foi enviada à equipe de suporte como ticket {ticket_id}.",
        "id": "Percakapan ini sudah dikirim ke tim support sebagai tiket {ticket_id}.",
        "zh": "此对话已作为工单 {ticket_id} 提交给支持团队。",
    },
    "ticket.sent_later": {
        "en": "Your saved request has been sent: it is now ticket {ticket_id}.",
        "fr": "Votre demande enregistrée a été envoyée : c'est maintenant le ticket {ticket_id}.",
        "es": "Tu solicitud guardada ya se envió: ahora es el ticket {ticket_id}.",
        "it": "La tua richiesta salvata è stata inviata: ora è il ticket {ticket_id}.",
        "de": "Deine gespeicherte Anfrage wurde gesendet: sie ist jetzt Ticket {ticket_id}.",
        "pt": "Seu pedido salvo foi enviado: agora é o ticket {ticket_id}.",
        "id": "Permintaanmu yang tersimpan sudah dikirim: sekarang menjadi tiket {ticket_id}.",
        "zh": "你保存的请求已发送，工单编号为 {ticket_id}。",
    },
    "ticket.solved": {
        "en": "The team marked ticket {ticket_id} as solved.",
        "fr": "L'équipe a marqué le ticket {ticket_id} comme résolu.",
        "es": "El equipo marcó el ticket {ticket_id} como resuelto.",
        "it": "Il team ha segnato il ticket {ticket_id} come risolto.",
        "de": "Das Team hat Ticket {ticket_id} als gelöst markiert.",
        "pt": "A equipe marcou o ticket {ticket_id} como resolvido.",
        "id": "Tim menandai tiket {ticket_id} sebagai selesai.",
        "zh": "团队已将工单 {ticket_id} 标记为已解决。",
    },
    "incident.hold": {
        "en": (
            "A platform incident is in progress ({status_url}); the team is on it and no ticket is needed for it. "
            "If your problem is unrelated, press the button below."
        ),
        "fr": (
            "Un incident de la plateforme est en cours ({status_url}) ; l'équipe s'en occupe et aucun ticket "
            "n'est nécessaire. Si votre problème n'a rien à voir, cliquez sur le bouton ci-dessous."
        ),
        "es": (
            "Hay una incidencia en curso en la plataforma ({status_url}); el equipo ya está en ello y no hace "
            "falta abrir un ticket. Si tu problema no tiene relación, pulsa el botón de abajo."
        ),
        "it": (
            "È in corso un incidente sulla piattaforma ({status_url}); il team ci sta lavorando e non serve "
            "aprire un ticket. Se il tuo problema non c'entra, premi il pulsante qui sotto."
        ),
        "de": (
            "Gerade läuft eine Störung der Plattform ({status_url}); das Team kümmert sich darum, ein Ticket ist "
            "dafür nicht nötig. Hat dein Problem nichts damit zu tun, klick auf den Button unten."
        ),
        "pt": (
            "Há um incidente na plataforma em andamento ({status_url}); a equipe já está cuidando disso e não é "
            "preciso abrir ticket. Se o seu problema não tem relação, clique no botão abaixo."
        ),
        "id": (
            "Sedang ada insiden platform ({status_url}); tim sedang menanganinya dan tidak perlu tiket untuk itu. "
            "Kalau masalahmu tidak berkaitan, tekan tombol di bawah."
        ),
        "zh": (
            "平台当前正在发生故障（{status_url}），团队正在处理，无需为此提交工单。"
            "如果你的问题与此无关，请点击下方按钮。"
        ),
    },
    "link.code_sent": {
        "en": (
            "If this e-mail address belongs to a {brand} account, a code has been sent to it. "
            "Enter it with the button below; it expires in 10 minutes."
        ),
        "fr": (
            "Si cette adresse e-mail correspond à un compte {brand}, un code vient d'y être envoyé. "
            "Saisissez-le avec le bouton ci-dessous ; il expire dans 10 minutes."
        ),
        "es": (
            "Si este correo pertenece a una cuenta de {brand}, te hemos enviado un código. "
            "Introdúcelo con el botón de abajo; caduca en 10 minutos."
        ),
        "it": (
            "Se questo indirizzo e-mail appartiene a un account {brand}, è stato inviato un codice. "
            "Inseriscilo con il pulsante qui sotto; scade tra 10 minuti."
        ),
        "de": (
            "Falls diese E-Mail-Adresse zu einem {brand}-Konto gehört, wurde ein Code an sie gesendet. "
            "Gib ihn über den Button unten ein; er läuft in 10 Minuten ab."
        ),
        "pt": (
            "Se este e-mail pertence a uma conta {brand}, enviamos um código para ele. "
            "Digite-o com o botão abaixo; ele expira em 10 minutos."
        ),
        "id": (
            "Jika alamat e-mail ini terdaftar di akun {brand}, sebuah kode telah dikirim ke sana. "
            "Masukkan kodenya lewat tombol di bawah; kode berlaku 10 menit."
        ),
        "zh": "如果该邮箱属于某个 {brand} 账户，验证码已发送至该邮箱。请通过下方按钮输入，验证码 10 分钟内有效。",
    },
    "link.done": {
        "en": "Your account is linked. Your e-mail address isn't stored, only the account id.",
        "fr": "Votre compte est lié. Votre adresse e-mail n'est pas conservée, seulement l'identifiant du compte.",
        "es": "Tu cuenta está vinculada. No guardamos tu correo, solo el id de la cuenta.",
        "it": "Il tuo account è collegato. Il tuo indirizzo e-mail non viene salvato, solo l'id dell'account.",
        "de": "Dein Konto ist verknüpft. Deine E-Mail-Adresse wird nicht gespeichert, nur die Konto-ID.",
        "pt": "Sua conta está vinculada. Seu e-mail não é armazenado, só o id da conta.",
        "id": "Akunmu sudah terhubung. Alamat e-mailmu tidak disimpan, hanya id akunnya.",
        "zh": "账户已关联。我们不会保存你的邮箱地址，只保存账户 ID。",
    },
    "link.invalid_code": {
        "en": "That code isn't valid or has expired.",
        "fr": "Ce code n'est pas valide ou a expiré.",
        "es": "Ese código no es válido o ha caducado.",
        "it": "Questo codice non è valido o è scaduto.",
        "de": "Dieser Code ist ungültig oder abgelaufen.",
        "pt": "Esse código não é válido ou expirou.",
        "id": "Kode itu tidak valid atau sudah kedaluwarsa.",
        "zh": "该验证码无效或已过期。",
    },
    "link.too_many": {
        "en": "Too many attempts. Please wait a little, then start again with `/link`.",
        "fr": "Trop de tentatives. Patientez un peu, puis recommencez avec `/link`.",
        "es": "Demasiados intentos. Espera un poco y vuelve a empezar con `/link`.",
        "it": "Troppi tentativi. Aspetta un po', poi ricomincia con `/link`.",
        "de": "Zu viele Versuche. Warte kurz und fang dann mit `/link` neu an.",
        "pt": "Tentativas demais. Espere um pouco e comece de novo com `/link`.",
        "id": "Terlalu banyak percobaan. Tunggu sebentar, lalu mulai lagi dengan `/link`.",
        "zh": "尝试次数过多。请稍等片刻，然后重新使用 `/link`。",
    },
    "link.unavailable": {
        "en": "The account service can't be reached right now. Please try again in a few minutes.",
        "fr": "Le service des comptes est injoignable pour le moment. Réessayez dans quelques minutes.",
        "es": "Ahora mismo no se puede contactar con el servicio de cuentas. Inténtalo de nuevo en unos minutos.",
        "it": "Il servizio account al momento non è raggiungibile. Riprova tra qualche minuto.",
        "de": "Der Kontodienst ist gerade nicht erreichbar. Versuch es in ein paar Minuten noch einmal.",
        "pt": "O serviço de contas não está acessível agora. Tente de novo em alguns minutos.",
        "id": "Layanan akun sedang tidak bisa dihubungi. Coba lagi beberapa menit lagi.",
        "zh": "账户服务暂时无法连接，请几分钟后再试。",
    },
    "unlink.done": {
        "en": "Your Discord account is no longer linked to a {brand} account.",
        "fr": "Votre compte Discord n'est plus lié à un compte {brand}.",
        "es": "Tu cuenta de Discord ya no está vinculada a una cuenta de {brand}.",
        "it": "Il tuo account Discord non è più collegato a un account {brand}.",
        "de": "Dein Discord-Konto ist nicht mehr mit einem {brand}-Konto verknüpft.",
        "pt": "Sua conta do Discord não está mais vinculada a uma conta {brand}.",
        "id": "Akun Discord kamu tidak lagi terhubung ke akun {brand}.",
        "zh": "你的 Discord 账户已不再关联任何 {brand} 账户。",
    },
    "whoami.linked": {
        "en": "Your Discord account is linked to a {brand} account.\n{details}",
        "fr": "Votre compte Discord est lié à un compte {brand}.\n{details}",
        "es": "Tu cuenta de Discord está vinculada a una cuenta de {brand}.\n{details}",
        "it": "Il tuo account Discord è collegato a un account {brand}.\n{details}",
        "de": "Dein Discord-Konto ist mit einem {brand}-Konto verknüpft.\n{details}",
        "pt": "Sua conta do Discord está vinculada a uma conta {brand}.\n{details}",
        "id": "Akun Discord kamu terhubung ke akun {brand}.\n{details}",
        "zh": "你的 Discord 账户已关联一个 {brand} 账户。\n{details}",
    },
    "whoami.not_linked": {
        "en": "Your Discord account isn't linked to a {brand} account. Use `/link` to link it.",
        "fr": "Votre compte Discord n'est lié à aucun compte {brand}. Utilisez `/link` pour le lier.",
        "es": "Tu cuenta de Discord no está vinculada a ninguna cuenta de {brand}. Usa `/link` para vincularla.",
        "it": "Il tuo account Discord non è collegato a nessun account {brand}. Usa `/link` per collegarlo.",
        "de": "Dein Discord-Konto ist mit keinem {brand}-Konto verknüpft. Nutze `/link`, um es zu verknüpfen.",
        "pt": "Sua conta do Discord não está vinculada a nenhuma conta {brand}. Use `/link` para vinculá-la.",
        "id": "Akun Discord kamu belum terhubung ke akun {brand}. Gunakan `/link` untuk menghubungkannya.",
        "zh": "你的 Discord 账户尚未关联 {brand} 账户。请使用 `/link` 进行关联。",
    },
}

DETAIL_CATEGORY_LABELS: dict[str, dict[str, str]] = {
    "live_updates": {
        "en": "Live updates",
        "fr": "Mises à jour en direct",
        "es": "Actualizaciones en vivo",
        "it": "Aggiornamenti live",
        "de": "Live-Updates",
        "pt": "Atualizações ao vivo",
        "id": "Pembaruan langsung",
        "zh": "实时更新",
    },
    "app_management": {
        "en": "App management",
        "fr": "Gestion des applications",
        "es": "Gestión de apps",
        "it": "Gestione delle app",
        "de": "App-Verwaltung",
        "pt": "Gerenciamento de apps",
        "id": "Manajemen aplikasi",
        "zh": "应用管理",
    },
    "analytics": {
        "en": "Analytics",
        "fr": "Statistiques",
        "es": "Analíticas",
        "it": "Statistiche",
        "de": "Statistiken",
        "pt": "Análises",
        "id": "Analitik",
        "zh": "数据分析",
    },
    "configuration": {
        "en": "Configuration",
        "fr": "Configuration",
        "es": "Configuración",
        "it": "Configurazione",
        "de": "Konfiguration",
        "pt": "Configuração",
        "id": "Konfigurasi",
        "zh": "配置",
    },
    "troubleshooting": {
        "en": "Troubleshooting",
        "fr": "Dépannage",
        "es": "Resolución de problemas",
        "it": "Risoluzione dei problemi",
        "de": "Fehlerbehebung",
        "pt": "Solução de problemas",
        "id": "Pemecahan masalah",
        "zh": "故障排查",
    },
    "billing": {
        "en": "Billing",
        "fr": "Facturation",
        "es": "Facturación",
        "it": "Fatturazione",
        "de": "Abrechnung",
        "pt": "Cobrança",
        "id": "Tagihan",
        "zh": "账单",
    },
    "account": {
        "en": "Account",
        "fr": "Compte",
        "es": "Cuenta",
        "it": "Account",
        "de": "Konto",
        "pt": "Conta",
        "id": "Akun",
        "zh": "账户",
    },
}

SEVERITY_LABELS: dict[int, dict[str, str]] = {
    1: {
        "en": "Urgent (outage)",
        "fr": "Urgente (panne)",
        "es": "Urgente (caída del servicio)",
        "it": "Urgente (disservizio)",
        "de": "Dringend (Ausfall)",
        "pt": "Urgente (serviço fora do ar)",
        "id": "Mendesak (layanan mati)",
        "zh": "紧急（服务中断）",
    },
    2: {
        "en": "High",
        "fr": "Haute",
        "es": "Alta",
        "it": "Alta",
        "de": "Hoch",
        "pt": "Alta",
        "id": "Tinggi",
        "zh": "高",
    },
    3: {
        "en": "Normal",
        "fr": "Normale",
        "es": "Normal",
        "it": "Normale",
        "de": "Normal",
        "pt": "Normal",
        "id": "Normal",
        "zh": "普通",
    },
    4: {
        "en": "Low (question or feature request)",
        "fr": "Basse (question ou demande de fonctionnalité)",
        "es": "Baja (pregunta o petición de funcionalidad)",
        "it": "Bassa (domanda o richiesta di funzionalità)",
        "de": "Niedrig (Frage oder Feature-Wunsch)",
        "pt": "Baixa (dúvida ou pedido de recurso)",
        "id": "Rendah (pertanyaan atau permintaan fitur)",
        "zh": "低（咨询或功能建议）",
    },
}
