/** `verify`, loaded only when it is on. */
export { checkAtEdge } from './edge.js'
