// A file still being written is not loaded half (issue 18 item 6): a one-off load waits
// the settling time for files that changed just now, puts off those still changing —
// reported, not loaded — and loads them whole once their writer is done. (On the main
// before this change the growing file was loaded with its cut-off last line as a row,
// and never the rest.)
import { spawn } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReadOptions } from '../../src/ingest/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('settling');

/** A writer appending `lines` CSV lines to `file`, one every `everyMs`, the last one without its newline until the end. */
function writer(file: string, lines: number, everyMs: number): Promise<void> {
  const script = `
    const fs = require('node:fs');
    const [file, lines, every] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    fs.writeFileSync(file, 'id,name\\n');
    let i = 0;
    const t = setInterval(() => {
      // A line is written in two halves: a reader may catch it cut off.
      fs.appendFileSync(file, (i + 100) + ',na');
      fs.appendFileSync(file, 'me' + i + '\\n');
      if (++i === lines) { clearInterval(t); }
    }, every);`;
  const child = spawn(process.execPath, ['-e', script, file, String(lines), String(everyMs)], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', () => resolve()));
}

describe('files still being written', () => {
  it('are put off and reported, then loaded whole once settled', async () => {
    const dir = path.join(bed.dir, 'p');
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    writeFileSync(path.join(dir, 'landing/done.csv'), 'id,name\n1,a\n2,b\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'landing/done.csv'), old, old);
    const project = await projectAt(bed, dir);
    await project.query('CREATE TABLE bronze.people');
    const load = () =>
      project.ingest({
        location: path.join(dir, 'lake/bronze/people'),
        name: 'bronze.people',
        source: path.join(dir, 'landing'),
        options: parseReadOptions({ format: 'csv' }, 'test'),
        mergeSchema: true,
        settleMs: 300,
      });
    const writing = writer(path.join(dir, 'landing/growing.csv'), 60, 40);
    await new Promise((r) => setTimeout(r, 600));
    const first = await load();
    expect(first.filesLoaded).toBe(1);
    expect(first.filesPutOff).toEqual(['landing/growing.csv']);
    expect((await project.query('SELECT count(*) FROM bronze.people')).rows).toEqual([[2]]);
    await writing;
    await new Promise((r) => setTimeout(r, 350));
    const second = await load();
    expect(second).toMatchObject({ filesLoaded: 1, filesPutOff: [], rows: 60, quarantined: 0 });
    expect(
      (await project.query(`SELECT count(*), count(DISTINCT id), min(name), max(length(name)) FROM bronze.people`))
        .rows,
    ).toEqual([[62, 62, 'a', 6]]);
  });

  it('a loaded file that changed is reported once, not on every pass; changed again, once more', async () => {
    const dir = path.join(bed.dir, 'changed');
    mkdirSync(path.join(dir, 'landing'), { recursive: true });
    const file = path.join(dir, 'landing/a.csv');
    const write = (text: string, ageMs: number) => {
      writeFileSync(file, text);
      const at = new Date(Date.now() - ageMs);
      utimesSync(file, at, at);
    };
    write('id\n1\n', 60_000);
    const project = await projectAt(bed, dir);
    await project.query('CREATE TABLE bronze.t');
    const load = () =>
      project.ingest({
        location: path.join(dir, 'lake/bronze/t'),
        name: 'bronze.t',
        source: path.join(dir, 'landing'),
        options: parseReadOptions({ format: 'csv' }, 'test'),
        mergeSchema: true,
      });
    expect((await load()).filesLoaded).toBe(1);
    write('id\n1\n2\n', 50_000);
    expect(await load()).toMatchObject({ filesLoaded: 0, filesChanged: ['landing/a.csv'] });
    expect(await load()).toMatchObject({ filesLoaded: 0, filesChanged: [], filesSkipped: 1 });
    expect(await load()).toMatchObject({ filesLoaded: 0, filesChanged: [], filesSkipped: 1 });
    write('id\n1\n2\n3\n', 40_000);
    expect(await load()).toMatchObject({ filesLoaded: 0, filesChanged: ['landing/a.csv'] });
    expect(await load()).toMatchObject({ filesChanged: [] });
    expect((await project.query('SELECT count(*) FROM bronze.t')).rows).toEqual([[1]]);
    expect((await project.query(`SELECT status, size FROM system.ingest_files ORDER BY ingested_at`)).rows).toEqual([
      ['loaded', 5],
      ['changed', 7],
      ['changed', 9],
    ]);
  });
});
