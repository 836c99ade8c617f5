#!/usr/bin/env node
// Methods written in Python (methods/<id>/method.py) run under python3 with numpy. This step,
// run before `npm run suite` and `npm test`, checks for them and, on Debian or Ubuntu as root
// (CI, containers), installs Debian's python3-numpy. Elsewhere it says how to install them and
// goes on: the Python methods' cells then fail with that reason and their tests are skipped.
import { spawnSync } from 'node:child_process';

const python = process.env.COLLAPSE_BENCH_PYTHON ?? 'python3';
const hasNumpy = () => spawnSync(python, ['-I', '-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

if (!hasNumpy()) {
  const root = process.getuid?.() === 0;
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
  if (root && apt && !process.env.COLLAPSE_BENCH_PYTHON) {
    console.error('Installing python3 and python3-numpy (Debian packages) for the methods written in Python…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    spawnSync('apt-get', ['install', '-y', '-qq', 'python3', 'python3-numpy'], { stdio: 'inherit', env });
  }
  if (!hasNumpy()) {
    console.error(
      `Note: ${python} with numpy was not found, so the methods written in Python will not run (their cells fail, saying so; their tests are skipped). ` +
        'Install them (Debian/Ubuntu: apt install python3-numpy; macOS: brew install numpy) or point COLLAPSE_BENCH_PYTHON at an interpreter that has numpy.',
    );
    if (process.env.COLLAPSE_BENCH_REQUIRE_PYTHON) process.exit(1);
  }
}
