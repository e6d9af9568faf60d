import type { FastifyPluginAsync } from 'fastify';
import { groupAllowed } from '../auth.ts';
import { parsePhoneNumber } from '../phone.ts';
import type { CallInService } from '../service/call-in-service.ts';
import { matchBody, matchResponse } from './schemas.ts';
import { requestView } from './views.ts';

/** Match an incoming call to a live request, consuming it. */
export const matchRoutes: FastifyPluginAsync<{ service: CallInService }> = async (app, { service }) => {
  app.post<{
    Body: { dialledNumber: string; callerNumber?: string; accessCode?: string; groupName?: string };
  }>(
    '/v1/match',
    {
      config: { scope: 'match' },
      schema: {
        summary:
          'Match an incoming call (dialled number plus caller number and/or access code); a request matches once',
        body: matchBody,
        response: { 200: matchResponse },
      },
    },
    async (req) => {
      const b = req.body;
      const { request, matchedBy } = await service.match(
        {
          dialledNumber: parsePhoneNumber('dialledNumber', b.dialledNumber),
          ...(b.callerNumber !== undefined
            ? { callerNumber: parsePhoneNumber('callerNumber', b.callerNumber) }
            : {}),
          ...(b.accessCode !== undefined ? { accessCode: b.accessCode } : {}),
          ...(b.groupName !== undefined ? { groupName: b.groupName } : {}),
        },
        (g) => groupAllowed(req.principal, g),
      );
      req.log.info({ group: request.groupName, requestId: request.id, matchedBy }, 'request matched');
      return { matchedBy, request: requestView(request, true) };
    },
  );
};
