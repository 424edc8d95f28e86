// How the ready-made worker scripts connect: `Kafka.connect` with the credentials the page posted. A function
// cannot be posted, so an OAUTHBEARER worker is given its token, and its provider gives that token back.
import { Kafka } from '../franz.js';

export function connect(port, { clientId, sasl }) {
  if (sasl?.mechanism?.toLowerCase?.() === 'oauthbearer') {
    const { token, authorizationIdentity } = sasl;
    sasl = { mechanism: 'oauthbearer', authorizationIdentity, oauthBearerProvider: async () => ({ value: token }) };
  }
  return Kafka.connect(port, { clientId, sasl });
}
