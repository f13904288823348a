/** The widget's own words; the bot's replies come localised from the server. */
export interface Strings {
  launcher: string;
  launcherUnread: (count: number) => string;
  close: string;
  subtitle: string;
  subtitleHuman: string;
  subtitleWith: (name: string) => string;
  log: string;
  you: string;
  assistant: string;
  agent: string;
  suggestions: string;
  inputLabel: string;
  placeholder: string;
  send: string;
  retry: string;
  retryIn: (seconds: number) => string;
  offline: string;
  dropped: string;
  tooFast: string;
  unavailable: string;
  invalid: (reason: string) => string;
  failed: string;
  notSent: string;
  joined: string;
  joinedBy: (name: string) => string;
  back: string;
  newTab: string;
  /** The link to the privacy notice under the consent question. */
  notice: (version: string) => string;
  ended: string;
  restart: string;
}

const en: Strings = {
  launcher: 'Chat',
  launcherUnread: (n) => `Chat, ${n} new ${n === 1 ? 'message' : 'messages'}`,
  close: 'Close chat',
  subtitle: 'Automated assistant · a person can join',
  subtitleHuman: 'You are chatting with our team',
  subtitleWith: (name) => `You are chatting with ${name} from our team`,
  log: 'Conversation',
  you: 'You:',
  assistant: 'Assistant:',
  agent: 'Team member',
  suggestions: 'Suggested replies',
  inputLabel: 'Your message',
  placeholder: 'Type your message…',
  send: 'Send',
  retry: 'Try again',
  retryIn: (s) => `Try again in ${s} s`,
  offline: "We couldn't reach the chat. Check your connection and try again.",
  dropped: 'The connection dropped while the reply was loading.',
  tooFast: 'You are sending messages a little fast.',
  unavailable: "The chat isn't available on this page right now.",
  invalid: (reason) => `That message couldn't be sent: ${reason}.`,
  failed: 'Something went wrong on our side. Please try again.',
  notSent: 'Not sent',
  joined: 'A member of our team has joined the chat.',
  joinedBy: (name) => `${name} from our team has joined the chat.`,
  back: 'You are back with the automated assistant.',
  newTab: '(opens in a new tab)',
  notice: (v) => `Privacy notice (version ${v})`,
  ended: 'This conversation has ended.',
  restart: 'Start a new conversation',
};

const de: Strings = {
  ...en,
  launcherUnread: (n) => `Chat, ${n} ${n === 1 ? 'neue Nachricht' : 'neue Nachrichten'}`,
  close: 'Chat schließen',
  subtitle: 'Automatisierter Assistent · ein Mensch kann dazukommen',
  subtitleHuman: 'Sie chatten mit unserem Team',
  subtitleWith: (name) => `Sie chatten mit ${name} aus unserem Team`,
  log: 'Unterhaltung',
  you: 'Sie:',
  assistant: 'Assistent:',
  agent: 'Teammitglied',
  suggestions: 'Antwortvorschläge',
  inputLabel: 'Ihre Nachricht',
  placeholder: 'Nachricht eingeben…',
  send: 'Senden',
  retry: 'Erneut versuchen',
  retryIn: (s) => `Erneut in ${s} s`,
  offline: 'Der Chat ist nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.',
  dropped: 'Die Verbindung brach ab, während die Antwort geladen wurde.',
  tooFast: 'Sie senden Nachrichten etwas zu schnell.',
  unavailable: 'Der Chat ist auf dieser Seite gerade nicht verfügbar.',
  invalid: (reason) => `Die Nachricht konnte nicht gesendet werden: ${reason}.`,
  failed: 'Bei uns ist etwas schiefgegangen. Bitte versuchen Sie es erneut.',
  notSent: 'Nicht gesendet',
  joined: 'Ein Mitglied unseres Teams ist dem Chat beigetreten.',
  joinedBy: (name) => `${name} aus unserem Team ist dem Chat beigetreten.`,
  back: 'Sie sind wieder beim automatisierten Assistenten.',
  newTab: '(öffnet in neuem Tab)',
  notice: (v) => `Datenschutzhinweis (Version ${v})`,
  ended: 'Diese Unterhaltung ist beendet.',
  restart: 'Neue Unterhaltung beginnen',
};

const es: Strings = {
  ...en,
  launcherUnread: (n) => `Chat, ${n} ${n === 1 ? 'mensaje nuevo' : 'mensajes nuevos'}`,
  close: 'Cerrar chat',
  subtitle: 'Asistente automático · una persona puede unirse',
  subtitleHuman: 'Estás hablando con nuestro equipo',
  subtitleWith: (name) => `Estás hablando con ${name}, de nuestro equipo`,
  log: 'Conversación',
  you: 'Tú:',
  assistant: 'Asistente:',
  agent: 'Miembro del equipo',
  suggestions: 'Respuestas sugeridas',
  inputLabel: 'Tu mensaje',
  placeholder: 'Escribe tu mensaje…',
  send: 'Enviar',
  retry: 'Reintentar',
  retryIn: (s) => `Reintentar en ${s} s`,
  offline: 'No pudimos conectar con el chat. Revisa tu conexión e inténtalo de nuevo.',
  dropped: 'La conexión se cortó mientras cargaba la respuesta.',
  tooFast: 'Estás enviando mensajes un poco rápido.',
  unavailable: 'El chat no está disponible en esta página ahora mismo.',
  invalid: (reason) => `No se pudo enviar el mensaje: ${reason}.`,
  failed: 'Algo salió mal por nuestra parte. Inténtalo de nuevo.',
  notSent: 'No enviado',
  joined: 'Un miembro de nuestro equipo se ha unido al chat.',
  joinedBy: (name) => `${name}, de nuestro equipo, se ha unido al chat.`,
  back: 'Vuelves a estar con el asistente automático.',
  newTab: '(se abre en una pestaña nueva)',
  notice: (v) => `Aviso de privacidad (versión ${v})`,
  ended: 'Esta conversación ha terminado.',
  restart: 'Empezar una nueva conversación',
};

const fr: Strings = {
  ...en,
  launcherUnread: (n) => `Chat, ${n} ${n === 1 ? 'nouveau message' : 'nouveaux messages'}`,
  close: 'Fermer le chat',
  subtitle: 'Assistant automatisé · une personne peut rejoindre',
  subtitleHuman: 'Vous discutez avec notre équipe',
  subtitleWith: (name) => `Vous discutez avec ${name}, de notre équipe`,
  log: 'Conversation',
  you: 'Vous :',
  assistant: 'Assistant :',
  agent: "Membre de l'équipe",
  suggestions: 'Réponses suggérées',
  inputLabel: 'Votre message',
  placeholder: 'Écrivez votre message…',
  send: 'Envoyer',
  retry: 'Réessayer',
  retryIn: (s) => `Réessayer dans ${s} s`,
  offline: 'Impossible de joindre le chat. Vérifiez votre connexion et réessayez.',
  dropped: 'La connexion a été coupée pendant le chargement de la réponse.',
  tooFast: 'Vous envoyez des messages un peu vite.',
  unavailable: "Le chat n'est pas disponible sur cette page pour le moment.",
  invalid: (reason) => `Le message n'a pas pu être envoyé : ${reason}.`,
  failed: 'Un problème est survenu de notre côté. Veuillez réessayer.',
  notSent: 'Non envoyé',
  joined: 'Un membre de notre équipe a rejoint la conversation.',
  joinedBy: (name) => `${name}, de notre équipe, a rejoint la conversation.`,
  back: "Vous êtes de retour avec l'assistant automatisé.",
  newTab: '(s’ouvre dans un nouvel onglet)',
  notice: (v) => `Politique de confidentialité (version ${v})`,
  ended: 'Cette conversation est terminée.',
  restart: 'Commencer une nouvelle conversation',
};

const ALL: Record<string, Strings> = { en, de, es, fr };

/** The strings for a BCP 47 tag (`de-AT` → German), English when the language is not one of ours. */
export function stringsFor(locale: string | undefined): Strings {
  const language = (locale ?? 'en').slice(0, 2).toLowerCase();
  return ALL[language] ?? en;
}
