// Components of this package. Each one declares its config spec once; `register` adds them all to
// an environment so a program includes only the connector packages it installed.
export const packageName = '@bento-ts/CONNECTOR'
