import type { components } from "./schema";

type S = components["schemas"];
export type User = S["UserOut"];
export type Conversation = S["ConversationOut"];
export type ConversationDetail = S["ConversationDetail"];
export type Message = S["MessageOut"];
export type MessageStatus = S["MessageStatus"];
export type Model = S["ModelOut"];
export type Image = S["ImageOut"];
export type UsageReport = S["UsageReport"];
export type UsageRow = S["UsageRow"];
export type Session = S["SessionOut"];
export type ErrorBody = S["ErrorBody"];
export type ProviderHealth = S["ProviderHealth"];
export type BudgetStatus = S["BudgetOut"];
