"""What the emails say, in the portal languages. Agents' alerts are in English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "received_subject": "We received your request {ref}",
        "received_intro": "Hello {name}, thank you for contacting {company}. Nobody could "
        "answer in the chat just now, so we kept your question as a support "
        "request; an agent will reply to you by email.",
        "your_question": "Your question",
        "reference": "Reference",
        "reply_intro": "Hello {name}, {agent} from {company} replied to your request {ref}:",
        "unseen_subject": "{agent} replied to you ({ref})",
        "unseen_intro": "Hello {name}, {agent} answered you in the chat after you left:",
        "back_to_chat": "Continue the conversation",
        "signature": "The {company} support team",
    },
    "pt-BR": {
        "received_subject": "Recebemos a sua solicitação {ref}",
        "received_intro": "Olá {name}, obrigado por entrar em contato com {company}. Ninguém "
        "pôde responder no chat agora, então guardamos a sua pergunta como "
        "uma solicitação de suporte; um atendente responderá por e-mail.",
        "your_question": "A sua pergunta",
        "reference": "Referência",
        "reply_intro": "Olá {name}, {agent} da {company} respondeu à sua solicitação {ref}:",
        "unseen_subject": "{agent} respondeu a você ({ref})",
        "unseen_intro": "Olá {name}, {agent} respondeu no chat depois que você saiu:",
        "back_to_chat": "Continuar a conversa",
        "signature": "Equipe de suporte {company}",
    },
    "fr": {
        "received_subject": "Nous avons bien reçu votre demande {ref}",
        "received_intro": "Bonjour {name}, merci d'avoir contacté {company}. Personne n'a pu "
        "répondre dans le chat pour le moment : votre question est enregistrée "
        "comme demande d'assistance et un agent vous répondra par e-mail.",
        "your_question": "Votre question",
        "reference": "Référence",
        "reply_intro": "Bonjour {name}, {agent} de {company} a répondu à votre demande {ref} :",
        "unseen_subject": "{agent} vous a répondu ({ref})",
        "unseen_intro": "Bonjour {name}, {agent} vous a répondu dans le chat après votre départ :",
        "back_to_chat": "Reprendre la conversation",
        "signature": "L'équipe d'assistance {company}",
    },
    "es": {
        "received_subject": "Hemos recibido su solicitud {ref}",
        "received_intro": "Hola {name}, gracias por contactar con {company}. Nadie pudo "
        "responder en el chat en este momento, así que guardamos su pregunta "
        "como solicitud de soporte; un agente le responderá por correo.",
        "your_question": "Su pregunta",
        "reference": "Referencia",
        "reply_intro": "Hola {name}, {agent} de {company} respondió a su solicitud {ref}:",
        "unseen_subject": "{agent} le respondió ({ref})",
        "unseen_intro": "Hola {name}, {agent} le respondió en el chat después de que usted se fue:",
        "back_to_chat": "Continuar la conversación",
        "signature": "El equipo de soporte de {company}",
    },
}


def text(language: str, key: str, **values: str) -> str:
    """One localized sentence, English when the language or the key is missing."""
    table = TEXTS.get(language, TEXTS["en"])
    return table.get(key, TEXTS["en"][key]).format(**values)
