/**
 * Runs fn and returns the error it throws, which must be an instance of ErrorClass.
 * Fails the test if fn does not throw; rethrows any error of another class.
 */
export function thrownBy<E extends Error>(fn: () => unknown, ErrorClass: abstract new (...args: any[]) => E): E {
  try {
    fn();
  } catch (err) {
    if (err instanceof ErrorClass) return err;
    throw err;
  }
  throw new Error(`expected the call to throw a ${ErrorClass.name}`);
}
