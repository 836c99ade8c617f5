/** The downloads: every table as CSV and JSON, all current records, and the records' JSON Schema. */
import type { APIRoute, GetStaticPaths } from 'astro';
import { toCsv } from '../../../lib/csv.ts';
import { dataTables } from '../../../lib/tables.ts';
import { siteData } from '../../data.ts';

export const getStaticPaths: GetStaticPaths = () => {
  const data = siteData();
  const files: { params: { file: string }; props: { body: string } }[] = [];
  for (const table of dataTables(data)) {
    files.push({ params: { file: `${table.name}.csv` }, props: { body: toCsv(table.columns, table.rows) } });
    files.push({ params: { file: `${table.name}.json` }, props: { body: `${JSON.stringify(table.rows, null, 1)}\n` } });
  }
  files.push({ params: { file: 'records.json' }, props: { body: `${JSON.stringify(data.current?.records ?? [])}\n` } });
  files.push({ params: { file: 'result-record.schema.json' }, props: { body: `${JSON.stringify(data.recordSchema, null, 2)}\n` } });
  return files;
};

export const GET: APIRoute = ({ props }) => new Response((props as { body: string }).body);
