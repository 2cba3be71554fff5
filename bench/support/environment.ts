/** Sets variables for the rest of a benchmark and gives back a function that restores the previous values. */
export const overrideEnvironment = (variables: Readonly<Record<string, string>>): (() => void) => {
  const previous = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  return () => {
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) Reflect.deleteProperty(process.env, name);
      else process.env[name] = value;
    }
  };
};
