/**
 * The allocator benchmark's floor: a Node HTTP server with no framework and no store that parses the
 * JSON body of a POST and answers 201 with a body the size of an allocation's answer. Whatever an
 * HTTP service in Node does on top of this costs more CPU per request on the same machine.
 *
 *   node bench/bare-http-server.ts <port>
 */
import http from 'node:http';

const answer = JSON.stringify({
  id: 'AAAAAAAAAAAAAAAAAAAAAA',
  groupName: 'shared',
  number: '+18001000000',
  accessCode: '12345678',
  callerNumber: '+14155550123',
  createdAt: new Date().toISOString(),
  expiresAt: new Date().toISOString(),
  expirySeconds: 300,
});

http
  .createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      JSON.parse(body || '{}');
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  })
  .listen(Number(process.argv[2]), '127.0.0.1');
