import { Text } from 'ink';
import { fit } from '../text.js';

/** A selectable row: the selection is inverse video and a ▸, never colour alone. */
export function Row({ on, text, width }: { on: boolean; text: string; width: number }) {
  return <Text inverse={on}>{fit(`${on ? '▸' : ' '}${text}`, width)}</Text>;
}

/** A pane title: ■ and underline mark the focused pane. */
export function Title({ focused, text, width }: { focused: boolean; text: string; width: number }) {
  return <Text bold underline={focused}>{fit(`${focused ? '■' : '□'} ${text}`, width)}</Text>;
}
