/**
 * An empty array of `sample`'s element kind, made by pushing it and taking
 * it off again. An empty literal starts out holding small integers, and the
 * first string or object pushed in code V8 had already optimised for it
 * changes the array's element kind and throws that code away.
 */
export function emptyListOf<T>(sample: T): T[] {
  const a = [sample];
  a.pop();
  return a;
}
