import type { FastifyPluginAsync } from 'fastify';
import { encodeCursor } from '../../domain/index.ts';
import { groupAllowed, requireGroup } from '../auth.ts';
import { parsePhoneNumber } from '../../phone-number-input.ts';
import type { CallInService } from '../../service/call-in-service.ts';
import type { GroupRegistry } from '../../groups/index.ts';
import {
  createBody,
  groupList,
  groupParams,
  historyList,
  idParams,
  recordsPage,
  liveList,
  requestState,
  requestView as requestSchema,
} from './schemas.ts';
import { historyView, requestView } from './views.ts';
import { recordsQueryOf, recordsQuerystring, type RecordsQuerystring } from './records-query.ts';

export interface RequestsRoutesOptions {
  service: CallInService;
  groups: GroupRegistry;
}

/** Create, read, cancel and list call-in requests; list groups. */
export const requestsRoutes: FastifyPluginAsync<RequestsRoutesOptions> = async (app, { service, groups }) => {
  app.post<{
    Params: { groupName: string };
    Body: {
      number?: string;
      callerNumber?: string;
      userData?: Record<string, unknown>;
      callbackServiceId?: string;
    };
  }>(
    '/v1/groups/:groupName/requests',
    {
      config: { scope: 'request' },
      schema: {
        summary: 'Create a call-in request: a number to dial (and access code) for a group',
        params: groupParams,
        body: createBody,
        response: {
          201: {
            ...requestSchema,
            properties: {
              ...requestSchema.properties,
              expirySeconds: { type: 'integer' },
              localPresence: {
                type: 'string',
                enum: ['area', 'country', 'none'],
                description:
                  "Groups with localPresence: the number is in the caller's area, in the caller's country, or neither",
              },
              sticky: {
                type: 'boolean',
                description:
                  'Groups with selection.stickySeconds: true when the caller got the number they had last',
              },
            },
          },
        },
      },
    },
    async (req, reply) => {
      const { groupName } = req.params;
      requireGroup(req.principal, groupName);
      const callerNumber =
        req.body?.callerNumber === undefined
          ? undefined
          : parsePhoneNumber('callerNumber', req.body.callerNumber);
      const number = req.body?.number === undefined ? undefined : parsePhoneNumber('number', req.body.number);
      const {
        request: created,
        localPresence,
        sticky,
      } = await service.create(groupName, {
        ...(number !== undefined ? { number } : {}),
        ...(callerNumber !== undefined ? { callerNumber } : {}),
        ...(req.body?.userData !== undefined ? { userData: req.body.userData } : {}),
        ...(req.body?.callbackServiceId !== undefined
          ? { callbackServiceId: req.body.callbackServiceId }
          : {}),
      });
      req.log.info({ group: groupName, requestId: created.id }, 'request created');
      const answer = requestView(created);
      answer.expirySeconds = Math.round((created.expiresAtMs - created.createdAtMs) / 1000);
      if (localPresence !== undefined) answer.localPresence = localPresence;
      if (sticky) answer.sticky = true;
      return reply.code(201).send(answer);
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/requests/:id',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'One request: live, or what became of it',
        params: idParams,
        response: { 200: requestState },
      },
    },
    async (req) => {
      const found = await service.get(req.params.id, (g) => groupAllowed(req.principal, g));
      if (found.state === 'live') return { state: 'live', request: requestView(found.request, true) };
      return historyView(found.record);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/requests/:id',
    {
      config: { scope: 'request' },
      schema: {
        summary: 'Cancel a live request; its number is free at once',
        params: idParams,
        response: { 200: requestState },
      },
    },
    async (req) => {
      const cancelled = await service.cancel(req.params.id, (g) => groupAllowed(req.principal, g));
      req.log.info({ group: cancelled.groupName, requestId: cancelled.id }, 'request cancelled');
      return { state: 'cancelled', request: requestView(cancelled) };
    },
  );

  app.get<{ Params: { groupName: string }; Querystring: { id?: string; callerNumber?: string } }>(
    '/v1/groups/:groupName/requests',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Live requests of a group (the Call-In records view)',
        params: groupParams,
        querystring: {
          type: 'object',
          properties: { id: { type: 'string' }, callerNumber: { type: 'string' } },
        },
        response: { 200: liveList },
      },
    },
    async (req) => {
      requireGroup(req.principal, req.params.groupName);
      const callerNumber =
        req.query.callerNumber === undefined
          ? undefined
          : parsePhoneNumber('callerNumber', req.query.callerNumber);
      const list = await service.listLive(req.params.groupName, {
        ...(req.query.id !== undefined ? { id: req.query.id } : {}),
        ...(callerNumber !== undefined ? { callerNumber } : {}),
      });
      return { requests: list.map((r) => requestView(r)) };
    },
  );

  app.get<{ Params: { groupName: string }; Querystring: { id?: string } }>(
    '/v1/groups/:groupName/history',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'What happened to each request of the group (created, matched, expired, cancelled), kept for the history period',
        params: groupParams,
        querystring: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: historyList },
      },
    },
    async (req) => {
      requireGroup(req.principal, req.params.groupName);
      const list = await service.history(
        req.params.groupName,
        req.query.id !== undefined ? { id: req.query.id } : {},
      );
      return { requests: list.map(historyView) };
    },
  );

  app.get<{ Querystring: RecordsQuerystring }>(
    '/v1/records',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'Call-in records of the groups this key may read, newest first: filter by group, id, caller number, state and creation time; one page at a time',
        querystring: recordsQuerystring,
        response: { 200: recordsPage },
      },
    },
    async (req) => {
      const page = await service.records(recordsQueryOf(req.query, (g) => groupAllowed(req.principal, g)));
      return {
        records: page.records.map(historyView),
        ...(page.next ? { nextCursor: encodeCursor(page.next) } : {}),
      };
    },
  );

  app.get(
    '/v1/groups',
    {
      config: { scope: 'read' },
      schema: { summary: 'Groups this key may use, with pool usage', response: { 200: groupList } },
    },
    async (req) => {
      await service.catchUp();
      return {
        groups: groups
          .list()
          .filter((g) => groupAllowed(req.principal, g.settings.groupName))
          .map((g) => ({
            groupName: g.settings.groupName,
            uniqueDnis: g.settings.uniqueDnis,
            reservedNumbers: g.index.reservedCount,
            ...(g.settings.localPresence ? { localPresence: g.settings.localPresence } : {}),
            generateAccessCode: g.settings.accessCode.generate,
            accessCodeLength: g.settings.accessCode.length,
            expirySeconds: g.settings.expirySeconds,
            coolDownSeconds: g.settings.coolDownSeconds,
            selection: g.settings.selection,
            ...service.groupStatus(g),
            ...(g.problem
              ? {
                  configProblem: {
                    message: g.problem.message,
                    since: new Date(g.problem.sinceMs).toISOString(),
                  },
                }
              : {}),
          })),
      };
    },
  );
};
