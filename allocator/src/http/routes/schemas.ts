/** JSON Schemas shared by the routes (validation, serialization) and the OpenAPI document. */

export const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

const phone = {
  type: 'string',
  minLength: 1,
  maxLength: 32,
  description: 'E.164, e.g. +18005555555',
} as const;
const userData = {
  type: 'object',
  additionalProperties: true,
  description: 'Any JSON object; returned on match',
} as const;

export const callbackServiceId = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  description:
    'The callback this request belongs to (Delayed scenario); stored, echoed and returned by match',
} as const;

export const requestView = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    groupName: { type: 'string' },
    number: { type: 'string', description: 'The number to dial' },
    description: { type: 'string' },
    accessCode: { type: 'string', description: 'Digits; the first is never 0' },
    callerNumber: { type: 'string' },
    callbackServiceId: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: 'string', format: 'date-time' },
    userData,
  },
  required: ['id', 'groupName', 'number', 'createdAt', 'expiresAt'],
} as const;

export const createBody = {
  type: 'object',
  properties: {
    number: {
      ...phone,
      description:
        'Ask for this number of the pool (E.164), reserved or not: it is handed out if free, else NUMBER_UNAVAILABLE (or NUMBER_NOT_IN_POOL)',
    },
    callerNumber: phone,
    userData,
    callbackServiceId,
  },
  additionalProperties: false,
} as const;

export const matchBody = {
  type: 'object',
  properties: {
    dialledNumber: phone,
    callerNumber: phone,
    accessCode: { type: 'string', pattern: '^[0-9]{1,12}$', description: 'A JSON number is accepted too' },
    groupName: { type: 'string', minLength: 1, description: 'Only match requests of this group' },
  },
  required: ['dialledNumber'],
  additionalProperties: false,
} as const;

const criteria = {
  type: 'array',
  items: { type: 'string', enum: ['dnis', 'accessCode', 'callerNumber'] },
} as const;
const outcome = {
  type: 'string',
  enum: ['NOTHING', 'DNIS', 'DNIS_ANI', 'DNIS_ACCESS_CODE', 'DNIS_ANI_ACCESS_CODE'],
  description: 'The criteria that matched, as a Designer-style branch name',
} as const;

export const matchResponse = {
  type: 'object',
  properties: { outcome, matchedBy: criteria, request: requestView },
  required: ['outcome', 'matchedBy', 'request'],
} as const;

export const matchCheckResponse = {
  type: 'object',
  properties: {
    outcome,
    matchedBy: criteria,
    notMatched: criteria,
    consumable: {
      type: 'boolean',
      description: 'POST /v1/match with these criteria would consume the request',
    },
    accessCodeRequired: { type: 'boolean', description: 'The request needs its access code: prompt for it' },
  },
  required: ['outcome', 'matchedBy', 'notMatched', 'consumable'],
} as const;

const historyEvent = {
  type: 'object',
  properties: {
    type: { type: 'string', enum: ['created', 'matched', 'cancelled', 'expired'] },
    at: { type: 'string' },
  },
  required: ['type', 'at'],
} as const;

export const requestState = {
  type: 'object',
  properties: {
    state: { type: 'string', enum: ['live', 'matched', 'cancelled', 'expired'] },
    request: requestView,
    events: { type: 'array', items: historyEvent },
  },
  required: ['state', 'request'],
} as const;

export const liveList = {
  type: 'object',
  properties: { requests: { type: 'array', items: requestView } },
  required: ['requests'],
} as const;

export const historyList = {
  type: 'object',
  properties: {
    requests: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          state: requestState.properties.state,
          request: requestView,
          events: requestState.properties.events,
        },
        required: ['state', 'request', 'events'],
      },
    },
  },
  required: ['requests'],
} as const;

export const recordsPage = {
  type: 'object',
  properties: {
    records: historyList.properties.requests,
    /** Pass as `cursor` for the next page; absent on the last page. */
    nextCursor: { type: 'string' },
  },
  required: ['records'],
} as const;

export const groupList = {
  type: 'object',
  properties: {
    groups: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          groupName: { type: 'string' },
          uniqueDnis: { type: 'boolean' },
          reservedNumbers: {
            type: 'integer',
            description: 'Numbers of the pool handed out only to requests that ask for them',
          },
          generateAccessCode: { type: 'boolean' },
          localPresence: {
            type: 'object',
            description: 'Present when the group hands callers a number near them',
            properties: {
              match: { type: 'string', enum: ['prefer', 'require'] },
              level: { type: 'string', enum: ['area', 'country'] },
            },
            required: ['match', 'level'],
          },
          accessCodeLength: { type: 'integer' },
          expirySeconds: { type: 'integer' },
          coolDownSeconds: {
            type: 'integer',
            description: 'Seconds a number rests after a request on it ends, before it is handed out again',
          },
          selection: {
            type: 'object',
            properties: {
              strategy: { type: 'string', enum: ['random', 'leastRecentlyUsed', 'roundRobin'] },
              stickySeconds: { type: 'integer' },
            },
            required: ['strategy', 'stickySeconds'],
          },
          poolSize: { type: 'integer' },
          numbersInUse: { type: 'integer' },
          numbersCooling: {
            type: 'integer',
            description: 'Numbers resting after their request ended (coolDownSeconds), not handed out yet',
          },
          liveRequests: { type: 'integer' },
          configProblem: {
            type: 'object',
            description:
              "Present while the group's source is invalid: this is its last valid version, served on until the source is fixed",
            properties: { message: { type: 'string' }, since: { type: 'string', format: 'date-time' } },
            required: ['message', 'since'],
          },
        },
      },
    },
  },
  required: ['groups'],
} as const;

export const groupParams = {
  type: 'object',
  properties: { groupName: { type: 'string', minLength: 1, maxLength: 253 } },
  required: ['groupName'],
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['id'],
} as const;

export const gesCreateBody = {
  type: 'object',
  properties: {
    groupName: { type: 'string', minLength: 1 },
    fromPhoneNumber: phone,
    userData: {
      ...userData,
      description: 'Top-level keys that are not JavaScript identifiers are ignored, as GES does',
    },
    callbackServiceId,
  },
  required: ['groupName'],
} as const;

export const gesCreateResponse = {
  type: 'object',
  properties: {
    status: {
      type: 'object',
      properties: {
        code: { type: 'integer' },
        message: { type: 'string' },
        corrId: { type: 'string', format: 'uuid' },
      },
      required: ['code', 'message', 'corrId'],
    },
    data: {
      type: 'object',
      properties: {
        id: { type: 'string', format: 'uuid' },
        toPhoneNumber: { type: 'string' },
        groupName: { type: 'string' },
        expirationTime: {
          type: 'integer',
          description: 'Epoch time of expiry, in milliseconds (or seconds: --ges-expiration-unit)',
        },
        accessCode: { type: 'integer', description: 'A JSON number, as GES SDKs read it' },
        fromPhoneNumber: { type: 'string' },
        callbackServiceId: { type: 'string' },
      },
      required: ['id', 'toPhoneNumber', 'groupName', 'expirationTime'],
    },
  },
  required: ['status', 'data'],
} as const;
