// Human-readable API reference rendered from the OpenAPI document: Markdown (docs/api.md) and a
// self-contained HTML page (GET /docs) with no scripts and no external resources.
import type { Access } from './auth.ts';
import type { JsonSchema, OpenApiDocument, OpenApiMethod, OpenApiOperation } from './openapi.ts';

/** The sentence each operation's OpenAPI description ends with, so generic OpenAPI viewers show the access rule. */
export const roleNote = (access: Access): string => (access === 'public' ? 'No authentication.' : `Requires role \`${access}\` or higher.`);

interface Entry {
  method: string;
  path: string;
  op: OpenApiOperation;
}

/** Operations grouped by their first tag, in route-table order. */
function groups(doc: OpenApiDocument): Map<string, Entry[]> {
  const byTag = new Map<string, Entry[]>();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item) as Array<[OpenApiMethod, OpenApiOperation]>) {
      const tag = op.tags[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  return byTag;
}

const json = (schema: unknown) => JSON.stringify(schema, null, 2);
const access = (op: OpenApiOperation) => {
  const role = op['x-required-role'];
  return role === 'public' ? 'public (no token)' : role === 'admin' ? 'admin' : `${role} or higher`;
};
const typeOf = (schema: JsonSchema) => (typeof schema.type === 'string' ? schema.type : typeof schema.$ref === 'string' ? schema.$ref.split('/').pop()! : 'any');
const anchor = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
const mediaSchemas = (content: Record<string, { schema: JsonSchema }> | undefined) => Object.entries(content ?? {});
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' ');
/** The description without the access sentence, which the reference shows on its own line. */
const description = (op: OpenApiOperation) => (op.description ?? '').replace(roleNote(op['x-required-role']), '').trim();
/** The component name when a schema is only a reference to one. */
const refName = (schema: JsonSchema) => (Object.keys(schema).length === 1 && typeof schema.$ref === 'string' ? schema.$ref.split('/').pop() : undefined);

export function renderApiReferenceMarkdown(doc: OpenApiDocument): string {
  const out: string[] = [
    `# ${doc.info.title} HTTP API ${doc.info.version}`,
    '',
    '<!-- Generated from the OpenAPI document (GET /openapi.json). Do not edit by hand. -->',
    '',
    'Send `Authorization: Bearer <token>` on every operation that is not public. Roles, from least to most privileged: `viewer` < `operator` < `approver` < `admin`; an operation accepts its role and every higher one.',
    'Errors are JSON `{ "error": "<code>", "message": "..." }`; a 422 also lists every invalid field in `issues: [{ "path": "body.name", "message": "..." }]`.',
    '',
  ];
  for (const [tag, entries] of groups(doc)) {
    out.push(`## ${tag}`, '');
    for (const { method, path, op } of entries) {
      out.push(`### \`${method} ${path}\` — ${op.summary}`, '', `Access: ${access(op)}.`, '');
      if (description(op)) out.push(description(op), '');
      if (op.parameters?.length) {
        out.push('| Parameter | In | Type | Required | Description |', '| --- | --- | --- | --- | --- |');
        for (const p of op.parameters) out.push(`| \`${p.name}\` | ${p.in} | ${typeOf(p.schema)} | ${p.required ? 'yes' : 'no'} | ${oneLine(p.description ?? '')} |`);
        out.push('');
      }
      for (const [media, { schema }] of mediaSchemas(op.requestBody?.content)) {
        const name = refName(schema);
        out.push(name ? `Request body (\`${media}\`): [${name}](#${anchor(name)}).` : `Request body (\`${media}\`):\n\n\`\`\`json\n${json(schema)}\n\`\`\``, '');
      }
      out.push('Responses:', '');
      for (const [status, response] of Object.entries(op.responses)) {
        const blocks: string[] = [];
        const names: string[] = [];
        for (const [media, { schema }] of mediaSchemas(response.content)) {
          const name = refName(schema);
          if (name) names.push(`[${name}](#${anchor(name)})`);
          else blocks.push('', `  \`${media}\`:`, '', '  ```json', ...json(schema).split('\n').map((l) => `  ${l}`), '  ```', '');
        }
        out.push(`- \`${status}\` ${response.description}${names.length > 0 ? ` — ${names.join(', ')}` : ''}`, ...blocks);
      }
      out.push('');
    }
  }
  out.push('## Schemas', '');
  for (const [name, schema] of Object.entries(doc.components.schemas)) out.push(`### ${name}`, '', '```json', json(schema), '```', '');
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h2{border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
section.op{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.GET{color:#0969da}.POST{color:#1a7f37}.PUT,.PATCH{color:#9a6700}.DELETE{color:#cf222e}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f6f8fa;padding:.6rem;overflow:auto;border-radius:4px}
table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left}.role{color:#57606a}`;

function schemaBlock(label: string, content: Record<string, { schema: JsonSchema }> | undefined): string {
  return mediaSchemas(content)
    .map(([media, { schema }]) => {
      const name = refName(schema);
      return name
        ? ` <a href="#schema-${anchor(name)}"><code>${escapeHtml(name)}</code></a>`
        : `<details><summary>${escapeHtml(label)} <code>${escapeHtml(media)}</code></summary><pre>${escapeHtml(json(schema))}</pre></details>`;
    })
    .join('');
}

function operationHtml({ method, path, op }: Entry): string {
  const params = op.parameters?.length
    ? `<table><tr><th>Parameter</th><th>In</th><th>Type</th><th>Required</th><th>Description</th></tr>${op.parameters
        .map((p) => `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${p.in}</td><td>${escapeHtml(typeOf(p.schema))}</td><td>${p.required ? 'yes' : 'no'}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`)
        .join('')}</table>`
    : '';
  const responses = Object.entries(op.responses)
    .map(([status, r]) => `<li><code>${escapeHtml(status)}</code> ${escapeHtml(r.description)}${schemaBlock('Schema', r.content)}</li>`)
    .join('');
  return `<section class="op" id="${anchor(op.operationId)}"><h3><span class="m ${method}">${method}</span> <code>${escapeHtml(path)}</code> — ${escapeHtml(op.summary)}</h3>
<p class="role">Access: ${escapeHtml(access(op))}</p>${description(op) ? `<p>${escapeHtml(description(op))}</p>` : ''}${params}${op.requestBody ? `<p>Request body:${schemaBlock('Schema', op.requestBody.content)}</p>` : ''}<p>Responses:</p><ul>${responses}</ul></section>`;
}

export function renderApiReferenceHtml(doc: OpenApiDocument): string {
  const sections = [...groups(doc)]
    .map(([tag, entries]) => `<h2 id="tag-${anchor(tag)}">${escapeHtml(tag)}</h2>\n${entries.map(operationHtml).join('\n')}`)
    .join('\n');
  const index = [...groups(doc).values()]
    .flat()
    .map(({ method, path, op }) => `<li><a href="#${anchor(op.operationId)}"><span class="m ${method}">${method}</span> ${escapeHtml(path)}</a> — ${escapeHtml(op.summary)}</li>`)
    .join('');
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<details id="schema-${anchor(name)}"><summary><code>${escapeHtml(name)}</code></summary><pre>${escapeHtml(json(schema))}</pre></details>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(doc.info.title)} API reference</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(doc.info.title)} API <small>${escapeHtml(doc.info.version)}</small></h1>
<p>Machine-readable document: <a href="openapi.json">/openapi.json</a>. Send <code>Authorization: Bearer &lt;token&gt;</code> on every operation that is not public; roles: viewer &lt; operator &lt; approver &lt; admin.</p>
<ul>${index}</ul>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>
`;
}
