import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { requireGroup } from '../auth.ts';
import { AllocatorCode, AllocatorError } from '../../errors.ts';
import { gesUserData } from './ges-user-data.ts';
import { parsePhoneNumber } from '../../phone-number-input.ts';
import type { CallInService } from '../../service/call-in-service.ts';
import { gesCreateBody, gesCreateResponse } from './schemas.ts';
import { toApiError } from './errors.ts';

export type EpochUnit = 'milliseconds' | 'seconds';

export interface GesCompatOptions {
  service: CallInService;
  /** How `expirationTime` counts from the epoch. */
  expirationUnit: EpochUnit;
}

/** The header that carries the allocator's own error code beside a GES error body. */
export const ERROR_CODE_HEADER = 'x-c2c-error-code';

interface GesCreateBody {
  groupName: string;
  fromPhoneNumber?: string;
  userData?: Record<string, unknown>;
  callbackServiceId?: string;
}

/**
 * `POST /engagement/v3/call-in/requests/create`, shaped like Genesys Engagement Services so existing
 * client apps switch over unchanged (docs/allocator.md § The GES-compatible route): `x-api-key`,
 * 200 `{ status, data }` with UUID ids, an epoch-time `expirationTime` and a numeric access code
 * (generated codes never start with 0); every error `{ status: { code, message, corrId } }`.
 * Registered under the prefix `/engagement/v3`, so unknown routes below it answer in that shape too.
 */
export const gesCompatRoutes: FastifyPluginAsync<GesCompatOptions> = async (
  app,
  { service, expirationUnit },
) => {
  const sendError = (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const { status, body, headers } = toApiError(err, req.log);
    void reply
      .code(status)
      .headers(headers)
      .header(ERROR_CODE_HEADER, body.error.code)
      .header('x-request-id', req.id)
      .send({ status: { code: status, message: body.error.message, corrId: req.id } });
  };
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((req, reply) =>
    sendError(new AllocatorError(AllocatorCode.NotFound, `no route ${req.method} ${req.url}`), req, reply),
  );
  const epoch = expirationUnit === 'seconds' ? (ms: number) => Math.floor(ms / 1000) : (ms: number) => ms;

  app.post<{ Body: GesCreateBody }>(
    '/call-in/requests/create',
    {
      config: { scope: 'request' },
      schema: { summary: 'GES-compatible create', body: gesCreateBody, response: { 200: gesCreateResponse } },
    },
    async (req, reply) => {
      const b = req.body;
      requireGroup(req.principal, b.groupName);
      const from =
        b.fromPhoneNumber === undefined || b.fromPhoneNumber === ''
          ? undefined
          : parsePhoneNumber('fromPhoneNumber', b.fromPhoneNumber);
      const userData = b.userData === undefined ? undefined : gesUserData(b.userData);
      const { request: created } = await service.create(b.groupName, {
        ...(from !== undefined ? { callerNumber: from } : {}),
        ...(userData !== undefined ? { userData: userData.kept } : {}),
        ...(b.callbackServiceId !== undefined ? { callbackServiceId: b.callbackServiceId } : {}),
      });
      if (created.accessCode !== undefined && !/^[1-9][0-9]*$/.test(created.accessCode)) {
        throw new AllocatorError(
          AllocatorCode.Internal,
          'an access code that a JSON number cannot carry was generated',
        );
      }
      req.log.info(
        {
          group: created.groupName,
          requestId: created.id,
          ...(userData?.ignored ? { userDataKeysIgnored: userData.ignored } : {}),
        },
        'request created (GES route)',
      );
      return reply.header('x-request-id', req.id).send({
        status: { code: 200, message: 'OK', corrId: req.id },
        data: {
          id: created.id,
          toPhoneNumber: created.number,
          groupName: created.groupName,
          expirationTime: epoch(created.expiresAtMs),
          ...(created.accessCode !== undefined ? { accessCode: Number(created.accessCode) } : {}),
          ...(created.callerNumber !== undefined ? { fromPhoneNumber: created.callerNumber } : {}),
          ...(created.callbackServiceId !== undefined
            ? { callbackServiceId: created.callbackServiceId }
            : {}),
        },
      });
    },
  );
};
