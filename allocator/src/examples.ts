import type { RegisteredGroup } from './groups/index.ts';

/** Example curl calls for the groups being served, printed by `npm start`. */
export function exampleCalls(
  baseUrl: string,
  groups: readonly RegisteredGroup[],
  metricsUrl = baseUrl,
): string {
  const url = baseUrl.replace('://[::1]', '://localhost');
  const lines = ['', `Click-To-Call-In allocator on ${url}`, ''];
  if (groups.length === 0) {
    lines.push('No groups loaded: put ClickToCallInGroup YAML files in the --groups-dir folder.', '');
    return lines.join('\n');
  }
  lines.push(`Groups: ${groups.map((g) => g.settings.groupName).join(', ')}`, '');
  const g = groups[0] as RegisteredGroup;
  const name = encodeURIComponent(g.settings.groupName);
  const first = g.pool[0]?.number ?? '+18005550100';
  lines.push(
    '# Ask for a number to dial (answers number, accessCode, id, expiresAt):',
    `curl -s -X POST ${url}/v1/groups/${name}/requests -H 'content-type: application/json' \\`,
    `  -d '{"callerNumber":"+14155550123","userData":{"customer":"42"}}'`,
    '',
    '# Match the incoming call (use the number and access code from the answer above):',
    `curl -s -X POST ${url}/v1/match -H 'content-type: application/json' \\`,
    `  -d '{"dialledNumber":"${first}","callerNumber":"+14155550123"${g.settings.accessCode.generate ? ',"accessCode":"<accessCode>"' : ''}}'`,
    '',
    '# Live requests and history of the group:',
    `curl -s ${url}/v1/groups/${name}/requests`,
    `curl -s ${url}/v1/groups/${name}/history`,
    '',
    '# GES-compatible create:',
    `curl -s -X POST ${url}/engagement/v3/call-in/requests/create -H 'content-type: application/json' \\`,
    `  -d '{"groupName":${JSON.stringify(g.settings.groupName)},"fromPhoneNumber":"+14155550123","userData":{}}'`,
    '',
    `# Also: ${url}/openapi.json  ${url}/readyz  ${metricsUrl.replace('://[::1]', '://localhost')}/metrics`,
    '',
  );
  return lines.join('\n');
}
