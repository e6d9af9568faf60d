import type { FastifyPluginAsync } from 'fastify';
import { requireGroup } from '../auth.ts';
import { AllocatorCode, AllocatorError } from '../errors.ts';
import { parsePhoneNumber } from '../phone.ts';
import type { CallInService } from '../service/call-in-service.ts';
import { gesCreateBody, gesCreateResponse } from './schemas.ts';
import { toApiError } from './errors.ts';

/**
 * `POST /engagement/v3/call-in/requests/create`, shaped like Genesys Engagement Services so existing
 * client apps can switch over: `x-api-key` authentication, `{ status, data }` answers, and an access
 * code sent as a JSON number (generated codes never start with 0, so nothing is lost).
 */
export const gesCompatRoutes: FastifyPluginAsync<{ service: CallInService }> = async (app, { service }) => {
  app.setErrorHandler((err, req, reply) => {
    const { status, body, headers } = toApiError(err, req.log);
    void reply
      .code(status)
      .headers(headers)
      .send({
        status: { code: status, message: body.error.message, corrId: String(req.id) },
        error: body.error,
      });
  });

  app.post<{ Body: { groupName: string; fromPhoneNumber?: string; userData?: Record<string, unknown> } }>(
    '/engagement/v3/call-in/requests/create',
    {
      config: { scope: 'request' },
      schema: { summary: 'GES-compatible create', body: gesCreateBody, response: { 201: gesCreateResponse } },
    },
    async (req, reply) => {
      const b = req.body;
      requireGroup(req.principal, b.groupName);
      const from =
        b.fromPhoneNumber === undefined || b.fromPhoneNumber === ''
          ? undefined
          : parsePhoneNumber('fromPhoneNumber', b.fromPhoneNumber);
      const created = await service.create(b.groupName, {
        ...(from !== undefined ? { callerNumber: from } : {}),
        ...(b.userData !== undefined ? { userData: b.userData } : {}),
      });
      if (created.accessCode !== undefined && !/^[1-9][0-9]*$/.test(created.accessCode)) {
        throw new AllocatorError(
          AllocatorCode.Internal,
          'an access code that a JSON number cannot carry was generated',
        );
      }
      req.log.info({ group: created.groupName, requestId: created.id }, 'request created (GES route)');
      return reply.code(201).send({
        status: { code: 201, message: 'Created', corrId: String(req.id) },
        data: {
          id: created.id,
          toPhoneNumber: created.number,
          groupName: created.groupName,
          expirationTime: new Date(created.expiresAtMs).toISOString(),
          ...(created.accessCode !== undefined ? { accessCode: Number(created.accessCode) } : {}),
          ...(created.callerNumber !== undefined ? { fromPhoneNumber: created.callerNumber } : {}),
        },
      });
    },
  );
};
