import type { FastifyPluginAsync } from 'fastify';
import { groupAllowed } from '../auth.ts';
import { parsePhoneNumber } from '../../phone-number-input.ts';
import type { CallInService } from '../../service/call-in-service.ts';
import type { MatchInput } from '../../domain/index.ts';
import { matchBody, matchCheckResponse, matchResponse } from './schemas.ts';
import { requestView } from './views.ts';

interface MatchBody {
  dialledNumber: string;
  callerNumber?: string;
  accessCode?: string;
  groupName?: string;
}

function matchInput(b: MatchBody): MatchInput & { groupName?: string } {
  return {
    dialledNumber: parsePhoneNumber('dialledNumber', b.dialledNumber),
    ...(b.callerNumber !== undefined
      ? { callerNumber: parsePhoneNumber('callerNumber', b.callerNumber) }
      : {}),
    ...(b.accessCode !== undefined ? { accessCode: b.accessCode } : {}),
    ...(b.groupName !== undefined ? { groupName: b.groupName } : {}),
  };
}

/** Match an incoming call to a live request, consuming it; or only check which criteria match. */
export const matchRoutes: FastifyPluginAsync<{ service: CallInService }> = async (app, { service }) => {
  app.post<{ Body: MatchBody }>(
    '/v1/match',
    {
      config: { scope: 'match' },
      schema: {
        summary:
          'Match an incoming call (dialled number plus caller number and/or access code) and consume the request; a request matches once',
        body: matchBody,
        response: { 200: matchResponse },
      },
    },
    async (req) => {
      const { request, matchedBy, outcome } = await service.match(matchInput(req.body), (g) =>
        groupAllowed(req.principal, g),
      );
      req.log.info({ group: request.groupName, requestId: request.id, matchedBy }, 'request matched');
      return { outcome, matchedBy, request: requestView(request, true) };
    },
  );

  app.post<{ Body: MatchBody }>(
    '/v1/match/check',
    {
      config: { scope: 'match' },
      schema: {
        summary:
          'Which criteria of an incoming call match the best live request on the dialled number, without consuming it',
        body: matchBody,
        response: { 200: matchCheckResponse },
      },
    },
    async (req) => service.checkMatch(matchInput(req.body), (g) => groupAllowed(req.principal, g)),
  );
};
