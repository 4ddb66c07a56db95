// Prints structure figures of the source tree (src/ and bin/): largest file, longest functions,
// and the number of `as` casts (`as const` excluded).
// Run: node scripts/structure-figures.mjs [root] [--all]   (--all lists every function over 60 lines)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import process from 'node:process';
import ts from 'typescript';

const args = process.argv.slice(2);
const listAll = args.includes('--all');
const root = args.find((a) => a !== '--all') ?? '.';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const files = ['src', 'bin'].flatMap((d) => walk(join(root, d), []));
const sizes = [];
const functions = [];
let casts = 0;
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const name = relative(root, file);
  sizes.push([text.split('\n').length - (text.endsWith('\n') ? 1 : 0), name]);
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const line = (pos) => source.getLineAndCharacterOfPosition(pos).line;
  const visit = (node) => {
    if (ts.isAsExpression(node) && !(ts.isTypeReferenceNode(node.type) && node.type.typeName.getText(source) === 'const')) casts++;
    if (
      (ts.isFunctionDeclaration(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isArrowFunction(node) ||
        ts.isFunctionExpression(node) ||
        ts.isConstructorDeclaration(node) ||
        ts.isGetAccessor(node)) &&
      node.body !== undefined
    ) {
      const label =
        node.name?.getText(source) ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name.getText(source) : '<anonymous>');
      functions.push([line(node.end) - line(node.getStart(source)) + 1, `${name}:${line(node.getStart(source)) + 1} ${label}`]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
sizes.sort((a, b) => b[0] - a[0]);
functions.sort((a, b) => b[0] - a[0]);
console.log(`files: ${files.length}`);
console.log(
  `largest files: ${sizes
    .slice(0, 5)
    .map(([n, f]) => `${f} (${n})`)
    .join(', ')}`,
);
console.log(`files over 400 lines: ${sizes.filter(([n]) => n > 400).length}`);
console.log(
  `longest functions: ${functions
    .slice(0, 5)
    .map(([n, f]) => `${f} (${n})`)
    .join(', ')}`,
);
console.log(`functions over 60 lines: ${functions.filter(([n]) => n > 60).length}`);
if (listAll) for (const [n, f] of functions.filter(([n]) => n > 60)) console.log(`  ${f} (${n})`);
console.log(`as casts (not as const): ${casts}`);
