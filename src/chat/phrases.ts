import type { Language, LocalizedText } from './playbook-schema.ts';
import type { AuthorityLevel, SlotType } from './slot-values.ts';
import { hash32 } from './text.ts';

/** The engine's fixed phrases; each has variants, one picked per session and turn. */
export type PhraseKey =
  | 'greeting'
  | 'disclosure'
  | 'ack'
  | 'updated'
  | 'move_on'
  | 'skip_ack'
  | 'offer_human'
  | 'off_topic'
  | 'unknown_answer'
  | 'bot_answer'
  | 'greeting_reply'
  | 'thanks_reply'
  | 'refusal'
  | 'abuse'
  | 'handoff'
  | 'handoff_unavailable'
  | 'handoff_unavailable_known'
  | 'ask_email'
  | 'ask_email_or_phone'
  | 'ask_email_and_name'
  | 'ask_email_or_phone_and_name'
  | 'invalid_email'
  | 'contact_declined'
  | 'offer_contact'
  | 'offer_contact_or_phone'
  | 'disqualified_followup'
  | 'consent_recorded'
  | 'consent_refused'
  | 'consent_reask'
  | 'qualified'
  | 'meeting'
  | 'human_option'
  | 'nurture'
  | 'nurture_no_contact'
  | 'disqualified'
  | 'goodbye'
  | 'ended'
  | 'turn_limit'
  | 'safety_end'
  | 'resumed'
  | 'yes'
  | 'no';

type Table = Record<PhraseKey, string[]>;

const EN: Table = {
  greeting: ['Hi there!', 'Hello and welcome!', 'Hi, thanks for stopping by!'],
  disclosure: [
    'You are chatting with an automated assistant. A person from our team can join at any time if you ask.',
  ],
  ack: ['Thanks, noted: {items}.', 'Got it: {items}.', 'Great, I have {items}.'],
  updated: ['Thanks for the correction, I have updated {items}.', 'No problem, changed to {items}.'],
  move_on: ["No problem, let's move on.", "That's fine, let's continue."],
  skip_ack: ['No problem.', 'That is fine.'],
  offer_human: ['If you would rather talk to a person, just type "human".'],
  off_topic: [
    "That's a good question for our team; I can't answer it here, but they can follow up.",
    "I'm not able to answer that here, but a colleague can pick it up later.",
  ],
  bot_answer: [
    'I\'m an automated assistant, not a person. Type "human" any time to reach someone from our team.',
  ],
  unknown_answer: [
    'I don\'t know that from our material, and I would rather not guess. A person from our team can answer it: type "human" to ask for one.',
  ],
  greeting_reply: ['Hello!', 'Hi!'],
  thanks_reply: ["You're welcome!", 'My pleasure!'],
  refusal: [
    "I can't help with that. I'm here to learn what you need so the right person can follow up.",
    "Sorry, that's not something I can do. Let's stay with your project.",
  ],
  abuse: ["I'd like to keep this conversation respectful.", "Let's keep things friendly, please."],
  handoff: [
    "I've asked someone from our team to join this chat. They'll be with you as soon as they can.",
    "Sure, I've let a colleague know you'd like to talk to a person. They'll join here shortly.",
  ],
  handoff_unavailable: [
    'Sorry, nobody from our team is free to join right now. If you leave your email address here, someone will get back to you.',
  ],
  handoff_unavailable_known: [
    'Sorry, nobody from our team is free to join right now. Someone will get back to you at {email}.',
  ],
  ask_email: [
    "What's the best email address to reach you?",
    'Which email address should our team use to follow up?',
  ],
  ask_email_or_phone: ["What's the best email address or phone number to reach you?"],
  ask_email_and_name: ['Who am I speaking with? Your name and the best email address to reach you, please.'],
  ask_email_or_phone_and_name: [
    'Who am I speaking with? Your name and an email address or phone number to reach you, please.',
  ],
  invalid_email: ["That doesn't look like a complete email address. Could you check it?"],
  contact_declined: ["No problem, we'll leave it there."],
  offer_contact: [
    "From what you describe, we may not be the right fit at the moment. If you'd like us to get back to you should that change, leave your email address here; or just say no.",
  ],
  offer_contact_or_phone: [
    "From what you describe, we may not be the right fit at the moment. If you'd like us to get back to you should that change, leave your email address or phone number here; or just say no.",
  ],
  disqualified_followup: ["Thank you! We'll get back to you if anything changes on our side or yours."],
  consent_recorded: ['Thank you, noted.', 'Thanks, noted.'],
  consent_refused: ["Understood, we won't contact you for follow-up."],
  consent_reask: ['Just to confirm, may we contact you about this? Please answer yes or no.'],
  qualified: [
    "Thanks! Based on what you've shared, it sounds like we could really help.",
    'Thank you! From what you describe, this looks like a great fit.',
  ],
  meeting: ['You can pick a time with our team here: {url}'],
  human_option: ['Or type "human" and a colleague will join this chat.'],
  nurture: [
    "Thanks for sharing all of that! We'll follow up with information that fits where you are.",
    "Thank you! We'll be in touch with a few resources that match your needs.",
  ],
  nurture_no_contact: [
    'Thanks for sharing all of that! Feel free to come back whenever the timing is right.',
  ],
  disqualified: [
    "Thanks for your time! It looks like we may not be the right fit at the moment, but you're welcome back any time.",
  ],
  goodbye: ['Thanks for chatting, have a great day!'],
  ended: ['This conversation has ended. Type "human" if you would like a person to get back to you.'],
  turn_limit: ["We've covered a lot, so I'll close this conversation here for a colleague to review."],
  safety_end: ["I'll end this conversation here."],
  resumed: ["I'm back, let's continue where we left off."],
  yes: ['Yes'],
  no: ['No'],
};

const DE: Table = {
  greeting: ['Hallo!', 'Herzlich willkommen!'],
  disclosure: [
    'Sie chatten mit einem automatisierten Assistenten. Auf Wunsch kann jederzeit eine Person aus unserem Team dazukommen.',
  ],
  ack: ['Danke, notiert: {items}.', 'Verstanden: {items}.'],
  updated: ['Danke für die Korrektur, ich habe {items} aktualisiert.'],
  move_on: ['Kein Problem, machen wir weiter.'],
  skip_ack: ['Kein Problem.'],
  offer_human: ['Wenn Sie lieber mit einer Person sprechen möchten, schreiben Sie einfach „Mensch“.'],
  off_topic: ['Das kann ich hier leider nicht beantworten, aber ein Kollege kann sich dazu melden.'],
  unknown_answer: [
    'Das weiß ich aus unseren Unterlagen nicht, und raten möchte ich nicht. Schreiben Sie „Mensch“, dann beantwortet es jemand aus dem Team.',
  ],
  bot_answer: [
    'Ich bin ein automatisierter Assistent, keine Person. Schreiben Sie „Mensch“, um jemanden aus dem Team zu erreichen.',
  ],
  greeting_reply: ['Hallo!'],
  thanks_reply: ['Gern geschehen!'],
  refusal: ['Dabei kann ich nicht helfen. Ich bin hier, um zu verstehen, was Sie brauchen.'],
  abuse: ['Ich möchte, dass wir respektvoll miteinander umgehen.'],
  handoff: [
    'Ich habe jemanden aus unserem Team gebeten, dazuzukommen. Sie werden so bald wie möglich betreut.',
  ],
  handoff_unavailable: [
    'Leider ist gerade niemand aus unserem Team frei. Wenn Sie hier Ihre E-Mail-Adresse hinterlassen, meldet sich jemand bei Ihnen.',
  ],
  handoff_unavailable_known: [
    'Leider ist gerade niemand aus unserem Team frei. Jemand meldet sich unter {email} bei Ihnen.',
  ],
  ask_email: ['Unter welcher E-Mail-Adresse erreichen wir Sie am besten?'],
  ask_email_or_phone: ['Unter welcher E-Mail-Adresse oder Telefonnummer erreichen wir Sie am besten?'],
  ask_email_and_name: [
    'Mit wem spreche ich? Ihr Name und die E-Mail-Adresse, unter der wir Sie erreichen, bitte.',
  ],
  ask_email_or_phone_and_name: [
    'Mit wem spreche ich? Ihr Name und eine E-Mail-Adresse oder Telefonnummer, bitte.',
  ],
  invalid_email: ['Das sieht nicht nach einer vollständigen E-Mail-Adresse aus. Können Sie sie prüfen?'],
  contact_declined: ['Kein Problem, dann belassen wir es dabei.'],
  offer_contact: [
    'Nach Ihren Angaben passen wir im Moment wohl nicht ganz zusammen. Wenn wir uns melden sollen, falls sich das ändert, hinterlassen Sie hier Ihre E-Mail-Adresse – oder schreiben Sie einfach „nein“.',
  ],
  offer_contact_or_phone: [
    'Nach Ihren Angaben passen wir im Moment wohl nicht ganz zusammen. Wenn wir uns melden sollen, falls sich das ändert, hinterlassen Sie hier Ihre E-Mail-Adresse oder Telefonnummer – oder schreiben Sie einfach „nein“.',
  ],
  disqualified_followup: ['Danke! Wir melden uns, wenn sich bei uns oder bei Ihnen etwas ändert.'],
  consent_recorded: ['Vielen Dank, notiert.'],
  consent_refused: ['Verstanden, wir melden uns nicht bei Ihnen.'],
  consent_reask: [
    'Nur zur Bestätigung: Dürfen wir Sie dazu kontaktieren? Bitte antworten Sie mit ja oder nein.',
  ],
  qualified: ['Danke! Nach allem, was Sie beschreiben, können wir Ihnen gut helfen.'],
  meeting: ['Hier können Sie direkt einen Termin mit unserem Team buchen: {url}'],
  human_option: ['Oder schreiben Sie „Mensch“, dann kommt ein Kollege in den Chat.'],
  nurture: ['Danke für die Informationen! Wir melden uns mit passenden Unterlagen.'],
  nurture_no_contact: ['Danke für die Informationen! Kommen Sie gern wieder, wenn der Zeitpunkt passt.'],
  disqualified: [
    'Danke für Ihre Zeit! Im Moment passen wir wohl nicht ganz zusammen, aber Sie sind jederzeit willkommen.',
  ],
  goodbye: ['Danke für das Gespräch und einen schönen Tag!'],
  ended: ['Dieses Gespräch ist beendet. Schreiben Sie „Mensch“, wenn sich jemand bei Ihnen melden soll.'],
  turn_limit: [
    'Wir haben viel besprochen; ich schließe das Gespräch hier, damit ein Kollege es ansehen kann.',
  ],
  safety_end: ['Ich beende dieses Gespräch hier.'],
  resumed: ['Ich bin wieder da, machen wir weiter.'],
  yes: ['Ja'],
  no: ['Nein'],
};

const ES: Table = {
  greeting: ['¡Hola!', '¡Hola, bienvenido!'],
  disclosure: [
    'Estás hablando con un asistente automatizado. Una persona de nuestro equipo puede unirse cuando quieras.',
  ],
  ack: ['Gracias, anotado: {items}.', 'Entendido: {items}.'],
  updated: ['Gracias por la corrección, he actualizado {items}.'],
  move_on: ['No pasa nada, sigamos.'],
  skip_ack: ['No pasa nada.'],
  offer_human: ['Si prefieres hablar con una persona, escribe «humano».'],
  off_topic: ['No puedo responder a eso aquí, pero un compañero puede ayudarte después.'],
  unknown_answer: [
    'No lo sé por nuestro material y prefiero no adivinar. Escribe «humano» y alguien del equipo te responderá.',
  ],
  bot_answer: [
    'Soy un asistente automatizado, no una persona. Escribe «humano» para hablar con alguien del equipo.',
  ],
  greeting_reply: ['¡Hola!'],
  thanks_reply: ['¡De nada!'],
  refusal: ['No puedo ayudar con eso. Estoy aquí para entender lo que necesitas.'],
  abuse: ['Mantengamos una conversación respetuosa, por favor.'],
  handoff: ['He pedido a alguien de nuestro equipo que se una al chat. Te atenderán lo antes posible.'],
  handoff_unavailable: [
    'Lo siento, ahora mismo no hay nadie del equipo disponible. Si dejas aquí tu correo electrónico, alguien se pondrá en contacto contigo.',
  ],
  handoff_unavailable_known: [
    'Lo siento, ahora mismo no hay nadie del equipo disponible. Alguien te escribirá a {email}.',
  ],
  ask_email: ['¿Cuál es el mejor correo electrónico para contactarte?'],
  ask_email_or_phone: ['¿Cuál es el mejor correo o teléfono para contactarte?'],
  ask_email_and_name: ['¿Con quién hablo? Tu nombre y el mejor correo para contactarte, por favor.'],
  ask_email_or_phone_and_name: [
    '¿Con quién hablo? Tu nombre y un correo o teléfono para contactarte, por favor.',
  ],
  invalid_email: ['Eso no parece un correo electrónico completo. ¿Puedes revisarlo?'],
  contact_declined: ['No pasa nada, lo dejamos así.'],
  offer_contact: [
    'Por lo que cuentas, puede que ahora mismo no encajemos. Si quieres que te contactemos si eso cambia, deja aquí tu correo electrónico, o simplemente di que no.',
  ],
  offer_contact_or_phone: [
    'Por lo que cuentas, puede que ahora mismo no encajemos. Si quieres que te contactemos si eso cambia, deja aquí tu correo electrónico o tu teléfono, o simplemente di que no.',
  ],
  disqualified_followup: ['¡Gracias! Te contactaremos si algo cambia por nuestra parte o por la tuya.'],
  consent_recorded: ['Gracias, anotado.'],
  consent_refused: ['Entendido, no te contactaremos.'],
  consent_reask: ['Para confirmar: ¿podemos contactarte sobre esto? Responde sí o no.'],
  qualified: ['¡Gracias! Por lo que nos cuentas, creemos que podemos ayudarte.'],
  meeting: ['Puedes reservar una reunión con nuestro equipo aquí: {url}'],
  human_option: ['O escribe «humano» y un compañero se unirá al chat.'],
  nurture: ['¡Gracias por la información! Te enviaremos recursos que encajen con lo que necesitas.'],
  nurture_no_contact: ['¡Gracias por la información! Vuelve cuando sea buen momento.'],
  disqualified: ['¡Gracias por tu tiempo! Parece que ahora mismo no encajamos, pero vuelve cuando quieras.'],
  goodbye: ['¡Gracias por la conversación, que tengas un buen día!'],
  ended: ['Esta conversación ha terminado. Escribe «humano» si quieres que alguien te contacte.'],
  turn_limit: ['Hemos hablado de mucho; cierro la conversación aquí para que un compañero la revise.'],
  safety_end: ['Termino esta conversación aquí.'],
  resumed: ['Ya estoy de vuelta, sigamos.'],
  yes: ['Sí'],
  no: ['No'],
};

const FR: Table = {
  greeting: ['Bonjour !', 'Bonjour et bienvenue !'],
  disclosure: [
    'Vous discutez avec un assistant automatisé. Une personne de notre équipe peut vous rejoindre à tout moment.',
  ],
  ack: ['Merci, noté : {items}.', 'Bien reçu : {items}.'],
  updated: ['Merci pour la correction, j’ai mis à jour {items}.'],
  move_on: ['Pas de souci, continuons.'],
  skip_ack: ['Pas de souci.'],
  offer_human: ['Si vous préférez parler à une personne, écrivez simplement « humain ».'],
  off_topic: ['Je ne peux pas répondre à cela ici, mais un collègue pourra vous répondre.'],
  unknown_answer: [
    'Je ne le sais pas d’après nos documents et je préfère ne pas deviner. Écrivez « humain » et quelqu’un de l’équipe vous répondra.',
  ],
  bot_answer: [
    'Je suis un assistant automatisé, pas une personne. Écrivez « humain » pour joindre quelqu’un de l’équipe.',
  ],
  greeting_reply: ['Bonjour !'],
  thanks_reply: ['Avec plaisir !'],
  refusal: ['Je ne peux pas vous aider avec cela. Je suis là pour comprendre votre besoin.'],
  abuse: ['Je souhaite que cette conversation reste respectueuse.'],
  handoff: [
    'J’ai demandé à une personne de notre équipe de rejoindre ce chat. Elle arrive dès que possible.',
  ],
  handoff_unavailable: [
    'Désolé, personne de notre équipe n’est disponible pour le moment. Si vous laissez votre adresse e-mail ici, quelqu’un vous recontactera.',
  ],
  handoff_unavailable_known: [
    'Désolé, personne de notre équipe n’est disponible pour le moment. Quelqu’un vous recontactera à {email}.',
  ],
  ask_email: ['Quelle est la meilleure adresse e-mail pour vous joindre ?'],
  ask_email_or_phone: ['Quelle adresse e-mail ou quel numéro de téléphone pour vous joindre ?'],
  ask_email_and_name: [
    'À qui ai-je le plaisir de parler ? Votre nom et votre adresse e-mail, s’il vous plaît.',
  ],
  ask_email_or_phone_and_name: [
    'À qui ai-je le plaisir de parler ? Votre nom et une adresse e-mail ou un numéro, s’il vous plaît.',
  ],
  invalid_email: ['Cela ne ressemble pas à une adresse e-mail complète. Pouvez-vous vérifier ?'],
  contact_declined: ['Pas de souci, restons-en là.'],
  offer_contact: [
    "D'après ce que vous décrivez, nous ne sommes peut-être pas la bonne solution pour le moment. Si vous souhaitez que nous revenions vers vous si cela change, laissez ici votre adresse e-mail, ou dites simplement non.",
  ],
  offer_contact_or_phone: [
    "D'après ce que vous décrivez, nous ne sommes peut-être pas la bonne solution pour le moment. Si vous souhaitez que nous revenions vers vous si cela change, laissez ici votre adresse e-mail ou votre numéro de téléphone, ou dites simplement non.",
  ],
  disqualified_followup: [
    'Merci ! Nous reviendrons vers vous si quelque chose change, de notre côté ou du vôtre.',
  ],
  consent_recorded: ['Merci, c’est noté.'],
  consent_refused: ['Compris, nous ne vous recontacterons pas.'],
  consent_reask: ['Pour confirmer : pouvons-nous vous contacter à ce sujet ? Répondez oui ou non.'],
  qualified: ['Merci ! D’après ce que vous décrivez, nous pouvons vraiment vous aider.'],
  meeting: ['Vous pouvez réserver un créneau avec notre équipe ici : {url}'],
  human_option: ['Ou écrivez « humain » et un collègue rejoindra ce chat.'],
  nurture: ['Merci pour ces informations ! Nous vous enverrons des ressources adaptées.'],
  nurture_no_contact: ['Merci pour ces informations ! Revenez quand le moment sera venu.'],
  disqualified: [
    'Merci pour votre temps ! Nous ne semblons pas être la bonne solution pour le moment, mais revenez quand vous voulez.',
  ],
  goodbye: ['Merci pour cet échange, bonne journée !'],
  ended: ['Cette conversation est terminée. Écrivez « humain » si vous souhaitez être recontacté.'],
  turn_limit: [
    'Nous avons couvert beaucoup de choses ; je clos la conversation ici pour qu’un collègue la relise.',
  ],
  safety_end: ['Je mets fin à cette conversation ici.'],
  resumed: ['Je suis de retour, reprenons.'],
  yes: ['Oui'],
  no: ['Non'],
};

const TABLES: Record<Language, Table> = { en: EN, de: DE, es: ES, fr: FR };

/** Re-ask used when a question has none of its own. */
const REASK: Record<Language, Record<SlotType, string>> = {
  en: {
    money:
      'Could you give me a rough budget, for example "around $20k" or "between 10 and 20 thousand euros"?',
    timeline: 'Roughly when would you like to have this in place, for example "next quarter" or "by March"?',
    role: "What's your role, for example founder, VP, director, manager or individual contributor?",
    company_size: 'About how many people work at your company?',
    enum: 'Could you pick one of the options?',
    email: 'Could you share a valid email address?',
    phone: 'Could you share a phone number, including the country code?',
    text: 'Could you tell me a little more, in a sentence or two?',
  },
  de: {
    money: 'Können Sie ein ungefähres Budget nennen, z. B. „etwa 20.000 €“?',
    timeline: 'Bis wann ungefähr soll die Lösung stehen, z. B. „nächstes Quartal“ oder „bis März“?',
    role: 'Welche Rolle haben Sie, z. B. Geschäftsführung, Bereichsleitung, Teamleitung?',
    company_size: 'Wie viele Mitarbeitende hat Ihr Unternehmen ungefähr?',
    enum: 'Können Sie eine der Optionen wählen?',
    email: 'Können Sie eine gültige E-Mail-Adresse angeben?',
    phone: 'Können Sie eine Telefonnummer mit Ländervorwahl angeben?',
    text: 'Können Sie das in ein, zwei Sätzen etwas genauer beschreiben?',
  },
  es: {
    money: '¿Podrías darme un presupuesto aproximado, por ejemplo «unos 20.000 €»?',
    timeline: '¿Para cuándo te gustaría tenerlo, por ejemplo «el próximo trimestre» o «para marzo»?',
    role: '¿Cuál es tu cargo, por ejemplo fundador, director, gerente?',
    company_size: '¿Cuántas personas trabajan aproximadamente en tu empresa?',
    enum: '¿Puedes elegir una de las opciones?',
    email: '¿Puedes compartir un correo electrónico válido?',
    phone: '¿Puedes compartir un teléfono con prefijo de país?',
    text: '¿Puedes contarme un poco más, en una o dos frases?',
  },
  fr: {
    money: 'Pourriez-vous indiquer un budget approximatif, par exemple « environ 20 000 € » ?',
    timeline:
      'Pour quand souhaitez-vous que ce soit en place, par exemple « le trimestre prochain » ou « d’ici mars » ?',
    role: 'Quel est votre rôle, par exemple dirigeant, directeur, manager ?',
    company_size: 'Combien de personnes travaillent environ dans votre entreprise ?',
    enum: 'Pouvez-vous choisir l’une des options ?',
    email: 'Pouvez-vous indiquer une adresse e-mail valide ?',
    phone: 'Pouvez-vous indiquer un numéro de téléphone avec l’indicatif ?',
    text: 'Pouvez-vous m’en dire un peu plus, en une ou deux phrases ?',
  },
};

const AUTHORITY_LABELS: Record<Language, Record<AuthorityLevel, string>> = {
  en: {
    executive: 'executive / decision maker',
    vp: 'VP level',
    director: 'director level',
    manager: 'manager level',
    individual: 'individual contributor',
  },
  de: {
    executive: 'Geschäftsführung / Entscheider',
    vp: 'VP-Ebene',
    director: 'Bereichsleitung',
    manager: 'Teamleitung',
    individual: 'Fachkraft',
  },
  es: {
    executive: 'dirección / decisor',
    vp: 'nivel VP',
    director: 'nivel director',
    manager: 'nivel gerente',
    individual: 'colaborador individual',
  },
  fr: {
    executive: 'direction / décideur',
    vp: 'niveau VP',
    director: 'niveau directeur',
    manager: 'niveau manager',
    individual: 'contributeur individuel',
  },
};

/** Picks one of several variants, the same one for the same session, turn and key. */
function pick<T>(variants: readonly T[], seed: string): T {
  const index = hash32(seed) % variants.length;
  return variants[index] as T;
}

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** A fixed phrase in the language, with `{name}` placeholders filled. */
export function phrase(
  language: Language,
  key: PhraseKey,
  seed: string,
  values: Record<string, string> = {},
): string {
  return fill(pick(TABLES[language][key], `${seed}:${key}`), values);
}

/**
 * Text from a playbook in the language: that language's variants, else English, else the first
 * language given. Placeholders are filled.
 */
export function localized(
  text: LocalizedText,
  language: Language,
  seed: string,
  values: Record<string, string> = {},
): string {
  let variants: string | string[];
  if (typeof text === 'string' || Array.isArray(text)) variants = text;
  else variants = text[language] ?? text.en ?? (Object.values(text)[0] as string | string[]);
  const list = typeof variants === 'string' ? [variants] : variants;
  return fill(pick(list, seed), values);
}

export function defaultReask(language: Language, type: SlotType): string {
  return REASK[language][type];
}

export function authorityLabel(language: Language, level: AuthorityLevel): string {
  return AUTHORITY_LABELS[language][level];
}
